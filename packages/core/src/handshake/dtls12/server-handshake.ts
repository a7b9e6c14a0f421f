import { AlertDescription } from '../../alert.js';
import { constantTimeEqual } from '../../bytes.js';
import { verifyData } from '../../crypto/key-schedule.js';
import { DtlsError, IllegalParameterError } from '../../errors.js';
import type { ResolvedServerOptions } from '../../options.js';
import type { ReadRecord } from '../../record/record-layer.js';
import type { CipherSuite } from '../../suites/cipher-suite.js';
import { emptyNegotiation, type NegotiatedParameters } from '../common/negotiated-parameters.js';
import { decodeAlpn, encodeAlpn } from '../extensions/alpn.js';
import { decodeEcPointFormats, EC_POINT_FORMAT_UNCOMPRESSED, encodeEcPointFormats } from '../extensions/ec-point-formats.js';
import { decodeExtendedMasterSecret, encodeExtendedMasterSecret } from '../extensions/extended-master-secret.js';
import { type Extension, findExtension } from '../extensions/extension.js';
import { ExtensionType } from '../extensions/extension-type.js';
import { NamedGroup, namedGroupId } from '../extensions/named-group.js';
import { decodeRenegotiationInfo, encodeRenegotiationInfo } from '../extensions/renegotiation-info.js';
import { decodeServerName } from '../extensions/server-name.js';
import { decodeSupportedGroups } from '../extensions/supported-groups.js';
import type { FlightMessage } from '../flight.js';
import type { HandshakeFragment } from '../handshake-header.js';
import { carriesMessage, type HandshakeHost, type HandshakeMessage, HandshakeEngine } from '../common/handshake-engine.js';

import { HandshakeType } from '../handshake-type.js';
import { type ClientHello, decodeClientHello } from '../messages/client-hello.js';
import { decodeCertificate, encodeCertificate } from '../messages/certificate.js';
import { encodeCertificateRequest } from '../messages/certificate-request.js';
import { decodeCertificateVerify } from '../messages/certificate-verify.js';
import { decodeSignatureAlgorithms } from '../extensions/signature-algorithms.js';
import {
  CERTIFICATE_TYPE_ECDSA_SIGN,
  CERTIFICATE_TYPE_RSA_SIGN,
} from '../signature-selection.js';
import { decodeFinished, encodeFinished } from '../messages/finished.js';
import { encodeServerHelloDone } from '../messages/server-hello-done.js';
import { encodeServerHello } from '../messages/server-hello.js';
import { DTLS_1_2 } from '../protocol-version.js';
import { deriveSessionKeys, type SessionKeys } from '../session-keys.js';
import type { AwaitValue, ClientKeyExchangeReader, ClientOffer, ServerKeyExchanger } from '../key-exchange/key-exchange.js';
import { keyExchangeFor } from '../key-exchange/registry.js';

/** One state per step of the server's side of RFC 6347 4.2.4 Figure 1 (after the cookie exchange). */
export type ServerState =
  | 'wait_client_hello' // the ClientHello that carried a valid cookie
  | 'wait_signature' // our ServerKeyExchange signature is pending (certificate suites)
  | 'wait_client_certificate' // flight 4 sent with a CertificateRequest
  | 'wait_client_key_exchange' // flight 4 sent
  | 'wait_psk' // the PSK lookup for the client's identity is pending
  | 'wait_certificate_verify' // the client sent a certificate: proof it holds the key
  | 'wait_finished' // ChangeCipherSpec then Finished
  | 'established';

/** TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746 3.3). */
const EMPTY_RENEGOTIATION_INFO_SCSV = 0x00ff;

export class ServerHandshake extends HandshakeEngine {
  readonly role = 'server';
  private current: ServerState = 'wait_client_hello';
  readonly negotiated: NegotiatedParameters;
  /** Reads the client's ClientKeyExchange once our ServerKeyExchange is out (holds our ephemeral key, if any). */
  private clientKeyExchangeReader: ClientKeyExchangeReader | undefined;
  private keys: SessionKeys | undefined;
  /** message_seq of the client's ClientKeyExchange, the first message of its flight 5. */
  private clientKeyExchangeSeq = -1;
  /** records.stats.badMac when the current datagram began. */
  private badMacAtDatagram = 0;
  /** records.stats.badMac at the start of the datagram that showed the client retransmitting flight 5. */
  private badMacAtFlight5Retransmission: number | undefined;

  constructor(
    host: HandshakeHost,
    private readonly config: ResolvedServerOptions,
    now: number,
    private readonly clientHello: { readonly body: Uint8Array; readonly messageSeq: number },
  ) {
    super(host, config, now);
    // RFC 6347 4.2.2: after a stateless HelloVerifyRequest both sides continue from the
    // ClientHello's message_seq (the HelloVerifyRequest used it too).
    this.reassembler.reset(clientHello.messageSeq);
    this.nextSendSeq = clientHello.messageSeq;
    this.negotiated = emptyNegotiation(new Uint8Array(0), undefined);
  }

  /** Processes the ClientHello whose cookie the endpoint verified (possibly reassembled there from fragments). */
  start(now: number): void {
    this.startDeadline(now);
    const { body, messageSeq } = this.clientHello;
    this.reassembler.add({ msgType: HandshakeType.client_hello, length: body.length, messageSeq, fragmentOffset: 0, body });
    this.processMessages();
  }

  get state(): ServerState {
    return this.current;
  }

  protected handle(m: HandshakeMessage): void {
    switch (this.current) {
      case 'wait_client_hello':
        if (m.msgType === HandshakeType.client_hello) return this.onClientHello(m);
        throw this.unexpected(m);
      case 'wait_client_certificate':
        if (m.msgType === HandshakeType.certificate) return this.onClientCertificate(m);
        // RFC 5246 7.4.6: asked for a certificate, the client must answer (even with an empty one).
        throw this.unexpected(m);
      case 'wait_client_key_exchange':
        if (m.msgType === HandshakeType.client_key_exchange) return this.onClientKeyExchange(m);
        throw this.unexpected(m);
      case 'wait_certificate_verify':
        if (m.msgType === HandshakeType.certificate_verify) return this.onCertificateVerify(m);
        throw this.unexpected(m);
      case 'wait_finished':
        if (m.msgType === HandshakeType.finished) return this.onFinished(m);
        throw this.unexpected(m);
      case 'established':
        // RFC 5746 / RFC 5246 7.4.1.2: renegotiation is refused with a warning.
        if (m.msgType === HandshakeType.client_hello) return this.host.sendWarning(AlertDescription.no_renegotiation);
        throw this.unexpected(m);
      case 'wait_psk':
      case 'wait_signature':
        throw this.unexpected(m);
    }
  }

  /** RFC 5246 7.4.1.2: a client asks to renegotiate with a new ClientHello. */
  protected readonly renegotiationRequest = HandshakeType.client_hello;

  override onHandshakeRecord(record: ReadRecord): void {
    if (
      this.current === 'wait_finished' &&
      this.badMacAtFlight5Retransmission === undefined &&
      carriesMessage(record, HandshakeType.client_key_exchange, this.clientKeyExchangeSeq)
    ) {
      // The ClientKeyExchange again: the client got no answer to its flight 5 and sent it anew.
      this.badMacAtFlight5Retransmission = this.badMacAtDatagram;
    }
    super.onHandshakeRecord(record);
  }

  override beginDatagram(): void {
    super.beginDatagram();
    this.badMacAtDatagram = this.host.records.stats.badMac;
  }

  /**
   * A wrong key shows up here. With another PSK the client derives other record keys, so its
   * Finished record does not authenticate and is dropped like any bad record (RFC 6347 4.1.2.7):
   * the Finished check (decrypt_error, RFC 5246 7.4.9) is never reached. A single bad record
   * proves nothing (noise, a stale record, a forgery), but once the client has retransmitted
   * flight 5 and a record of the epoch its ChangeCipherSpec opened fails again, its keys differ
   * from ours and waiting cannot help: the handshake ends with bad_record_mac, about one
   * retransmission timeout after flight 5 instead of at the handshake deadline.
   */
  override processMessages(): void {
    super.processMessages();
    const since = this.badMacAtFlight5Retransmission;
    if (this.current === 'wait_finished' && this.changeCipherSpecReceived && since !== undefined && this.host.records.stats.badMac > since) {
      throw new DtlsError(
        AlertDescription.bad_record_mac,
        'the client Finished does not authenticate, even retransmitted: the client derived other keys (a different pre-shared key?)',
      );
    }
  }

  private onClientHello(m: HandshakeMessage): void {
    const ch = decodeClientHello(m.body);
    // DTLS versions count down: 0xfefd (1.2) is newer than 0xfeff (1.0).
    if (ch.clientVersion > DTLS_1_2) {
      throw new DtlsError(AlertDescription.protocol_version, `client offers only version 0x${ch.clientVersion.toString(16)}; DTLS 1.2 is required`);
    }
    if (!ch.compressionMethods.includes(0)) throw new IllegalParameterError('client does not offer the null compression method');
    const reneg = findExtension(ch.extensions, ExtensionType.renegotiation_info);
    if (reneg && decodeRenegotiationInfo(reneg.data).length !== 0) {
      throw new DtlsError(AlertDescription.handshake_failure, 'renegotiation_info not empty in an initial handshake (RFC 5746 3.6)');
    }
    const secureRenegotiation = reneg !== undefined || ch.cipherSuites.includes(EMPTY_RENEGOTIATION_INFO_SCSV);
    const ems = findExtension(ch.extensions, ExtensionType.extended_master_secret);
    if (ems) decodeExtendedMasterSecret(ems.data);
    else if (this.config.requireExtendedMasterSecret) {
      throw new DtlsError(AlertDescription.handshake_failure, 'client does not offer extended_master_secret (RFC 7627), which is required');
    }
    const sni = findExtension(ch.extensions, ExtensionType.server_name);
    if (sni) this.negotiated.servername = decodeServerName(sni.data);
    const groupsExt = findExtension(ch.extensions, ExtensionType.supported_groups);
    // RFC 8422 4: a client that sends no supported_groups is assumed to support secp256r1.
    const clientGroups = groupsExt ? decodeSupportedGroups(groupsExt.data) : [NamedGroup.secp256r1];
    const formatsExt = findExtension(ch.extensions, ExtensionType.ec_point_formats);
    const uncompressedOk = !formatsExt || decodeEcPointFormats(formatsExt.data).includes(EC_POINT_FORMAT_UNCOMPRESSED);
    const sigAlgs = findExtension(ch.extensions, ExtensionType.signature_algorithms);
    const offer: ClientOffer = {
      group: this.config.groups.find((g) => clientGroups.includes(namedGroupId(g))),
      uncompressedPoints: uncompressedOk,
      signatureSchemes: sigAlgs ? decodeSignatureAlgorithms(sigAlgs.data) : undefined,
    };
    // RFC 5246 7.4.1.3: our first suite (our preference) that the client offers and whose key
    // exchange this ClientHello can do.
    let chosen: { suite: CipherSuite; exchanger: ServerKeyExchanger } | undefined;
    for (const s of this.config.suites) {
      if (!ch.cipherSuites.includes(s.id)) continue;
      const exchanger = keyExchangeFor(s).server(s, offer, this.config);
      if (exchanger) {
        chosen = { suite: s, exchanger };
        break;
      }
    }
    if (!chosen) throw new DtlsError(AlertDescription.handshake_failure, 'no cipher suite in common with the client');
    const { suite, exchanger } = chosen;
    const alpnProtocol = this.chooseAlpn(ch);

    this.transcript.add(m.msgType, m.messageSeq, m.body);
    const n = this.negotiated;
    n.suite = suite;
    n.clientRandom = ch.random;
    n.serverRandom = this.config.provider.randomBytes(32);
    n.extendedMasterSecret = ems !== undefined;
    n.alpnProtocol = alpnProtocol;

    const ext: Extension[] = [];
    if (secureRenegotiation) ext.push({ type: ExtensionType.renegotiation_info, data: encodeRenegotiationInfo(new Uint8Array(0)) });
    if (ems) ext.push({ type: ExtensionType.extended_master_secret, data: encodeExtendedMasterSecret() });
    if (keyExchangeFor(suite).ecdhe && formatsExt) {
      ext.push({ type: ExtensionType.ec_point_formats, data: encodeEcPointFormats([EC_POINT_FORMAT_UNCOMPRESSED]) });
    }
    if (alpnProtocol !== undefined) ext.push({ type: ExtensionType.application_layer_protocol_negotiation, data: encodeAlpn([alpnProtocol]) });
    const flight: FlightMessage[] = [];
    const shBody = encodeServerHello({
      serverVersion: DTLS_1_2,
      random: n.serverRandom,
      sessionId: new Uint8Array(0), // no session resumption: an empty id (RFC 5246 7.4.1.3)
      cipherSuite: suite.id,
      compressionMethod: 0,
      extensions: ext,
    });
    flight.push(this.recorded(HandshakeType.server_hello, shBody));
    this.sendServerKeyExchangeFlight(flight, exchanger);
  }

  /**
   * The rest of flight 4 (RFC 5246 7.3): [Certificate], [ServerKeyExchange] (signed over both
   * randoms in certificate suites, RFC 8422 5.4), [CertificateRequest], ServerHelloDone.
   */
  private sendServerKeyExchangeFlight(flight: FlightMessage[], exchanger: ServerKeyExchanger): void {
    if (exchanger.certificates) {
      flight.push(this.recorded(HandshakeType.certificate, encodeCertificate({ certificates: [...this.x509().signer.chain] })));
    }
    const n = this.negotiated;
    exchanger.serverKeyExchange(n.clientRandom, n.serverRandom, this.waitForSignature, (ske, reader) => {
      if (ske) flight.push(this.recorded(HandshakeType.server_key_exchange, ske));
      const x509 = this.config.x509;
      const requestCert = exchanger.certificates && x509 !== undefined && x509.requestCert;
      const verifier = x509?.verifier;
      if (requestCert && verifier) {
        const request = encodeCertificateRequest({
          certificateTypes: [CERTIFICATE_TYPE_ECDSA_SIGN, CERTIFICATE_TYPE_RSA_SIGN],
          signatureSchemes: [...verifier.signatureSchemes],
          authorities: [...verifier.authorities],
        });
        flight.push(this.recorded(HandshakeType.certificate_request, request));
      }
      flight.push(this.recorded(HandshakeType.server_hello_done, encodeServerHelloDone()));
      this.clientKeyExchangeReader = reader;
      this.current = requestCert ? 'wait_client_certificate' : 'wait_client_key_exchange';
      this.sendFlight(flight, false);
    });
  }

  /** Waits for our ServerKeyExchange signature in wait_signature (the key may sign asynchronously). */
  private readonly waitForSignature: AwaitValue = (value, what, then) => {
    if (value instanceof Promise) this.current = 'wait_signature';
    this.awaitValue(value, what, then);
  };

  /** Waits for a PSK lookup in wait_psk (RFC 4279 2: the application may answer asynchronously). */
  private readonly waitForPsk: AwaitValue = (value, what, then) => {
    if (value instanceof Promise) this.current = 'wait_psk';
    this.awaitValue(value, what, then);
  };

  private x509(): NonNullable<ResolvedServerOptions['x509']> {
    const x = this.config.x509;
    if (!x) throw new DtlsError(AlertDescription.internal_error, 'certificate suite negotiated without x509 credentials');
    return x;
  }

  /** RFC 5246 7.4.6: the client's chain; empty means it has none for us. */
  private onClientCertificate(m: HandshakeMessage): void {
    const x509 = this.x509();
    const chain = decodeCertificate(m.body).certificates;
    this.transcript.add(m.msgType, m.messageSeq, m.body);
    this.negotiated.peerCertificates = chain;
    if (chain.length === 0) {
      if (x509.rejectUnauthorized) throw new DtlsError(AlertDescription.handshake_failure, 'a client certificate is required and none was sent');
      this.negotiated.authorizationError = new DtlsError(AlertDescription.handshake_failure, 'the client sent no certificate');
      this.current = 'wait_client_key_exchange';
      return;
    }
    const verifier = x509.verifier;
    if (!verifier) throw new DtlsError(AlertDescription.internal_error, 'no verifier for client certificates');
    this.awaitValue(verifier.verifyChain(chain, { peerRole: 'client', servername: undefined }), 'client certificate verification', (result) => {
      this.negotiated.authorized = result?.authorized ?? true;
      this.negotiated.authorizationError = result?.authorizationError;
      this.current = 'wait_client_key_exchange';
    });
  }

  /** RFC 5246 7.4.8: the client proves it holds its certificate's key, signing the transcript so far. */
  private onCertificateVerify(m: HandshakeMessage): void {
    const verifier = this.x509().verifier;
    const leaf = this.negotiated.peerCertificates[0];
    if (!verifier || !leaf) throw this.unexpected(m);
    const signed = decodeCertificateVerify(m.body);
    if (!verifier.signatureSchemes.includes(signed.scheme)) {
      throw new IllegalParameterError(`client signed with scheme 0x${signed.scheme.toString(16)}, which we did not ask for`);
    }
    const content = this.transcript.bytes();
    this.transcript.add(m.msgType, m.messageSeq, m.body);
    this.awaitValue(verifier.verifySignature(leaf, signed.scheme, content, signed.signature), 'CertificateVerify check', (ok) => {
      if (!ok) throw new DtlsError(AlertDescription.decrypt_error, 'the client CertificateVerify signature does not verify');
      this.current = 'wait_finished';
    });
  }

  /** RFC 7301 3.2: the first of our protocols the client offers; no overlap is fatal. */
  private chooseAlpn(ch: ClientHello): string | undefined {
    const ext = findExtension(ch.extensions, ExtensionType.application_layer_protocol_negotiation);
    if (!ext || this.config.alpnProtocols.length === 0) return undefined;
    const offered = decodeAlpn(ext.data);
    const chosen = this.config.alpnProtocols.find((p) => offered.includes(p));
    if (chosen === undefined) throw new DtlsError(AlertDescription.no_application_protocol, 'no ALPN protocol in common with the client');
    return chosen;
  }

  private recorded(msgType: number, body: Uint8Array): FlightMessage {
    const m = this.message(msgType, body);
    this.transcript.add(msgType, m.messageSeq, body);
    return m;
  }

  /** RFC 5246 7.4.7: the key exchange reads the ClientKeyExchange; the keys follow (after a PSK lookup in PSK suites). */
  private onClientKeyExchange(m: HandshakeMessage): void {
    const suite = this.requireSuite();
    const reader = this.clientKeyExchangeReader;
    if (!reader) throw this.unexpected(m);
    const record = (): void => {
      this.transcript.add(m.msgType, m.messageSeq, m.body);
      this.clientKeyExchangeSeq = m.messageSeq;
    };
    reader.readClientKeyExchange(m.body, record, this.waitForPsk, (agreement) => {
      this.negotiated.pskIdentity = agreement.pskIdentity;
      this.deriveKeys(suite, agreement.premaster);
      // A client that sent a certificate must prove it holds the key before its Finished counts.
      this.current = this.negotiated.peerCertificates.length > 0 ? 'wait_certificate_verify' : 'wait_finished';
    });
  }

  /**
   * RFC 5246 7.3: the CertificateVerify comes before the ChangeCipherSpec, so in epoch 0. The
   * read epoch moves on as soon as the ChangeCipherSpec arrives (the keys exist from the
   * ClientKeyExchange on), and loss or reordering can make it overtake the CertificateVerify's
   * last fragments: those must still count, or the handshake would stall for good. Nothing
   * else new is taken from epoch 0 then — a client that skips its CertificateVerify sends the
   * Finished in its place, and that is an unexpected_message.
   */
  protected override acceptsPreviousEpoch(f: HandshakeFragment, epoch: number): boolean {
    return (
      epoch === 0 &&
      this.current === 'wait_certificate_verify' &&
      f.msgType === HandshakeType.certificate_verify &&
      f.messageSeq === this.clientKeyExchangeSeq + 1
    );
  }

  /** Master secret (extended: the session hash ends with the ClientKeyExchange, RFC 7627 3) and keys. */
  private deriveKeys(suite: CipherSuite, premaster: Uint8Array): void {
    const n = this.negotiated;
    const provider = this.config.provider;
    const sessionHash = n.extendedMasterSecret ? this.transcript.hash(provider, suite.prfHash) : undefined;
    this.keys = deriveSessionKeys(provider, suite, premaster, n.clientRandom, n.serverRandom, sessionHash);
    n.masterSecret = this.keys.masterSecret;
    this.expectChangeCipherSpec(this.keys.client);
  }

  /** Verifies the client's Finished, then sends flight 6: ChangeCipherSpec, Finished. */
  private onFinished(m: HandshakeMessage): void {
    this.checkFinishedUnderNewKeys(m);
    const suite = this.requireSuite();
    const keys = this.keys;
    if (!keys) throw new DtlsError(AlertDescription.internal_error, 'Finished without keys');
    const provider = this.config.provider;
    const expected = verifyData(provider, suite.prfHash, keys.masterSecret, 'client finished', this.transcript.hash(provider, suite.prfHash));
    if (!constantTimeEqual(decodeFinished(m.body).verifyData, expected)) {
      throw new DtlsError(AlertDescription.decrypt_error, 'client Finished does not verify');
    }
    this.transcript.add(m.msgType, m.messageSeq, m.body);
    const ccs: FlightMessage = { kind: 'change_cipher_spec', epoch: this.host.records.writeEpoch };
    this.host.records.setWriteKeys(keys.server);
    const body = encodeFinished({
      verifyData: verifyData(provider, suite.prfHash, keys.masterSecret, 'server finished', this.transcript.hash(provider, suite.prfHash)),
    });
    const fin = this.message(HandshakeType.finished, body);
    this.current = 'established';
    this.sendFlight([ccs, fin], true);
    this.finish(true);
  }

  private requireSuite(): CipherSuite {
    const s = this.negotiated.suite;
    if (!s) throw new DtlsError(AlertDescription.internal_error, 'no cipher suite negotiated');
    return s;
  }
}
