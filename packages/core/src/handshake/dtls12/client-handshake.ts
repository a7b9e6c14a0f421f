import { AlertDescription } from '../../alert.js';
import { constantTimeEqual } from '../../bytes.js';
import { verifyData } from '../../crypto/key-schedule.js';
import { DtlsError, IllegalParameterError } from '../../errors.js';
import type { ResolvedClientOptions } from '../../options.js';
import type { CipherSuite } from '../../suites/cipher-suite.js';
import { cipherSuiteById } from '../../suites/registry.js';
import { decodeAlpn, encodeAlpn } from '../extensions/alpn.js';
import { decodeEcPointFormats, EC_POINT_FORMAT_UNCOMPRESSED, encodeEcPointFormats } from '../extensions/ec-point-formats.js';
import { decodeExtendedMasterSecret, encodeExtendedMasterSecret } from '../extensions/extended-master-secret.js';
import { type Extension, findExtension } from '../extensions/extension.js';
import { ExtensionType } from '../extensions/extension-type.js';
import { namedGroupId } from '../extensions/named-group.js';
import { decodeRenegotiationInfo, encodeRenegotiationInfo } from '../extensions/renegotiation-info.js';
import { encodeServerName } from '../extensions/server-name.js';
import { encodeSupportedGroups } from '../extensions/supported-groups.js';
import type { FlightMessage } from '../flight.js';
import { type HandshakeHost, type HandshakeMessage, HandshakeEngine } from '../common/handshake-engine.js';
import { HandshakeType } from '../handshake-type.js';
import { type ClientHello, encodeClientHello } from '../messages/client-hello.js';
import { decodeCertificate, encodeCertificate } from '../messages/certificate.js';
import { type CertificateRequest, decodeCertificateRequest } from '../messages/certificate-request.js';
import { encodeCertificateVerify } from '../messages/certificate-verify.js';
import { decodeFinished, encodeFinished } from '../messages/finished.js';
import { decodeHelloVerifyRequest } from '../messages/hello-verify-request.js';
import { decodeServerHelloDone } from '../messages/server-hello-done.js';
import { decodeServerHello } from '../messages/server-hello.js';
import { encodeSignatureAlgorithms } from '../extensions/signature-algorithms.js';
import {
  CERTIFICATE_TYPE_ECDSA_SIGN,
  CERTIFICATE_TYPE_RSA_SIGN,
  chooseScheme,
} from '../signature-selection.js';
import { DTLS_1_0, DTLS_1_2 } from '../protocol-version.js';
import { deriveSessionKeys, type SessionKeys } from '../session-keys.js';
import type { AwaitValue, ClientKeyAgreement, ClientKeyExchange, ClientKeyExchangeContext } from '../key-exchange/key-exchange.js';
import { keyExchangeFor } from '../key-exchange/registry.js';
import type { CertificateSigner } from '../../key-exchange/certificate-credentials.js';
import { emptyNegotiation, type NegotiatedParameters } from '../common/negotiated-parameters.js';

/** One state per step of the client's side of RFC 6347 4.2.4 Figure 1 (full handshake). */
export type ClientState =
  | 'start'
  | 'wait_server_hello' // flight 1/3 sent: HelloVerifyRequest or ServerHello next
  | 'wait_certificate' // certificate suites: the server's chain
  | 'wait_server_key_exchange' // ServerKeyExchange (optional for plain PSK without a hint)
  | 'wait_server_hello_done' // (CertificateRequest allowed first in certificate suites)
  | 'wait_psk' // the PSK lookup for the server's hint is pending
  | 'wait_signature' // our CertificateVerify signature is pending
  | 'wait_finished' // flight 5 sent: ChangeCipherSpec then Finished
  | 'established';

/** A server may ask for a new cookie a few times (its secret rotated), never forever. */
const MAX_HELLO_VERIFY_REQUESTS = 4;

export class ClientHandshake extends HandshakeEngine {
  readonly role = 'client';
  private current: ClientState = 'start';
  readonly negotiated: NegotiatedParameters;
  private hello: ClientHello;
  private helloVerifyRequests = 0;
  /** What the ServerKeyExchange (or its absence) gave us to write the ClientKeyExchange with. */
  private agreement: ClientKeyAgreement | undefined;
  private keys: SessionKeys | undefined;
  private certificateRequest: CertificateRequest | undefined;

  constructor(
    host: HandshakeHost,
    private readonly config: ResolvedClientOptions,
    now: number,
  ) {
    super(host, config, now);
    const clientRandom = config.provider.randomBytes(32);
    this.negotiated = emptyNegotiation(clientRandom, config.servername);
    this.hello = {
      clientVersion: DTLS_1_2,
      random: clientRandom,
      sessionId: new Uint8Array(0),
      cookie: new Uint8Array(0),
      cipherSuites: config.suites.map((s) => s.id),
      compressionMethods: [0],
      extensions: this.helloExtensions(),
    };
  }

  get state(): ClientState {
    return this.current;
  }

  private helloExtensions(): Extension[] {
    const c = this.config;
    const ext: Extension[] = [];
    if (c.servername !== undefined && !isIpLiteral(c.servername)) {
      ext.push({ type: ExtensionType.server_name, data: encodeServerName(c.servername) });
    }
    if (c.suites.some((s) => keyExchangeFor(s).ecdhe)) {
      // RFC 8422 5.1: the curves we can do ECDHE over, uncompressed points only.
      ext.push({ type: ExtensionType.supported_groups, data: encodeSupportedGroups(c.groups.map(namedGroupId)) });
      ext.push({ type: ExtensionType.ec_point_formats, data: encodeEcPointFormats([EC_POINT_FORMAT_UNCOMPRESSED]) });
    }
    if (c.x509 && c.suites.some((s) => keyExchangeFor(s).certificates)) {
      // RFC 5246 7.4.1.4.1: the signatures we accept, in our order of preference.
      ext.push({ type: ExtensionType.signature_algorithms, data: encodeSignatureAlgorithms(c.x509.verifier.signatureSchemes) });
    }
    if (c.alpnProtocols.length > 0) {
      ext.push({ type: ExtensionType.application_layer_protocol_negotiation, data: encodeAlpn(c.alpnProtocols) });
    }
    ext.push({ type: ExtensionType.extended_master_secret, data: encodeExtendedMasterSecret() }); // RFC 7627 5.1
    ext.push({ type: ExtensionType.renegotiation_info, data: encodeRenegotiationInfo(new Uint8Array(0)) }); // RFC 5746 3.4
    return ext;
  }

  /** Flight 1 (RFC 6347 4.2.4 Figure 1); the handshake deadline counts from here. */
  start(now: number): void {
    this.startDeadline(now);
    this.sendHello();
  }

  private sendHello(): void {
    const body = encodeClientHello(this.hello);
    const m = this.message(HandshakeType.client_hello, body);
    this.transcript.reset();
    this.transcript.add(m.msgType, m.messageSeq, body);
    this.current = 'wait_server_hello';
    this.sendFlight([m], false);
  }

  /**
   * The client has the server's keys as soon as it sends flight 5, and the server sends its
   * ChangeCipherSpec only after receiving flight 5 (RFC 6347 4.2.4 Figure 1): one that comes
   * earlier was never sent by this server for this handshake (an injected CCS, as in the
   * early-CCS attacks on TLS stacks), so it must not stand in for the real one later.
   */
  protected override mayReceiveChangeCipherSpecBeforeKeys(): boolean {
    return false;
  }

  protected handle(m: HandshakeMessage): void {
    // RFC 5246 7.4.1.1: a HelloRequest while negotiating is ignored (and never hashed).
    if (m.msgType === HandshakeType.hello_request && this.current !== 'established') return;
    switch (this.current) {
      case 'wait_server_hello':
        if (m.msgType === HandshakeType.hello_verify_request) return this.onHelloVerifyRequest(m);
        if (m.msgType === HandshakeType.server_hello) return this.onServerHello(m);
        throw this.unexpected(m);
      case 'wait_certificate':
        if (m.msgType === HandshakeType.certificate) return this.onCertificate(m);
        throw this.unexpected(m);
      case 'wait_server_key_exchange':
        if (m.msgType === HandshakeType.server_key_exchange) return this.onServerKeyExchange(m);
        // RFC 4279 2: a plain-PSK server without a hint omits the ServerKeyExchange.
        if (m.msgType === HandshakeType.server_hello_done) {
          const agreement = this.keyExchange().withoutServerKeyExchange();
          if (agreement) {
            this.agreement = agreement;
            return this.onServerHelloDone(m);
          }
        }
        throw this.unexpected(m);
      case 'wait_server_hello_done':
        if (m.msgType === HandshakeType.server_hello_done) return this.onServerHelloDone(m);
        if (m.msgType === HandshakeType.certificate_request && this.usesCertificates() && !this.certificateRequest) {
          return this.onCertificateRequest(m);
        }
        throw this.unexpected(m);
      case 'wait_finished':
        if (m.msgType === HandshakeType.finished) return this.onFinished(m);
        throw this.unexpected(m);
      case 'established':
        // RFC 5746 4.2 / RFC 5246 7.4.1.1: we never renegotiate; say so and carry on.
        if (m.msgType === HandshakeType.hello_request) return this.host.sendWarning(AlertDescription.no_renegotiation);
        throw this.unexpected(m);
      case 'start':
      case 'wait_psk':
      case 'wait_signature':
        throw this.unexpected(m);
    }
  }

  /** RFC 5246 7.4.1.1: a server asks to renegotiate with a HelloRequest. */
  protected readonly renegotiationRequest = HandshakeType.hello_request;

  /** RFC 6347 4.2.1: send the ClientHello again with the server's cookie (flight 3). */
  private onHelloVerifyRequest(m: HandshakeMessage): void {
    const hvr = decodeHelloVerifyRequest(m.body);
    if (hvr.serverVersion !== DTLS_1_0 && hvr.serverVersion !== DTLS_1_2) {
      throw new DtlsError(AlertDescription.protocol_version, `HelloVerifyRequest with version 0x${hvr.serverVersion.toString(16)}`);
    }
    if (++this.helloVerifyRequests > MAX_HELLO_VERIFY_REQUESTS) {
      throw new DtlsError(AlertDescription.handshake_failure, `server sent more than ${MAX_HELLO_VERIFY_REQUESTS} HelloVerifyRequests`);
    }
    this.hello = { ...this.hello, cookie: hvr.cookie };
    this.sendHello();
  }

  private onServerHello(m: HandshakeMessage): void {
    const sh = decodeServerHello(m.body);
    if (sh.serverVersion !== DTLS_1_2) {
      throw new DtlsError(AlertDescription.protocol_version, `server chose version 0x${sh.serverVersion.toString(16)}; only DTLS 1.2 is supported`);
    }
    const suite = cipherSuiteById(sh.cipherSuite);
    if (!suite || !this.config.suites.includes(suite)) {
      throw new IllegalParameterError(`server chose cipher suite 0x${sh.cipherSuite.toString(16)}, which we did not offer`);
    }
    if (sh.compressionMethod !== 0) throw new IllegalParameterError(`server chose compression method ${sh.compressionMethod}`);
    const offered = new Set(this.hello.extensions.map((e) => e.type));
    for (const e of sh.extensions) {
      // RFC 5246 7.4.1.4: a server may only answer extensions the client sent.
      if (!offered.has(e.type)) throw new DtlsError(AlertDescription.unsupported_extension, `server sent extension ${e.type} we did not offer`);
    }
    const reneg = findExtension(sh.extensions, ExtensionType.renegotiation_info);
    if (reneg && decodeRenegotiationInfo(reneg.data).length !== 0) {
      throw new DtlsError(AlertDescription.handshake_failure, 'renegotiation_info not empty in an initial handshake (RFC 5746 3.4)');
    }
    const ems = findExtension(sh.extensions, ExtensionType.extended_master_secret);
    if (ems) decodeExtendedMasterSecret(ems.data);
    else if (this.config.requireExtendedMasterSecret) {
      throw new DtlsError(AlertDescription.handshake_failure, 'server does not support extended_master_secret (RFC 7627), which is required');
    }
    const formats = findExtension(sh.extensions, ExtensionType.ec_point_formats);
    if (formats && !decodeEcPointFormats(formats.data).includes(EC_POINT_FORMAT_UNCOMPRESSED)) {
      throw new IllegalParameterError('server does not accept uncompressed EC points (RFC 8422 5.2)');
    }
    const alpn = findExtension(sh.extensions, ExtensionType.application_layer_protocol_negotiation);
    if (alpn) {
      const chosen = decodeAlpn(alpn.data);
      const first = chosen[0];
      // RFC 7301 3.1: exactly one protocol, one that we offered.
      if (chosen.length !== 1 || first === undefined || !this.config.alpnProtocols.includes(first)) {
        throw new IllegalParameterError('server selected an ALPN protocol we did not offer');
      }
      this.negotiated.alpnProtocol = first;
    }
    this.negotiated.suite = suite;
    this.negotiated.serverRandom = sh.random;
    this.negotiated.extendedMasterSecret = ems !== undefined;
    this.transcript.add(m.msgType, m.messageSeq, m.body);
    this.current = this.usesCertificates() ? 'wait_certificate' : 'wait_server_key_exchange';
  }

  private usesCertificates(): boolean {
    const suite = this.negotiated.suite;
    return suite !== undefined && keyExchangeFor(suite).certificates;
  }

  private keyExchange(): ClientKeyExchange {
    return keyExchangeFor(this.requireSuite()).client();
  }

  private keyExchangeContext(): ClientKeyExchangeContext {
    const n = this.negotiated;
    return { config: this.config, suite: this.requireSuite(), clientRandom: n.clientRandom, serverRandom: n.serverRandom, serverLeaf: n.peerCertificates[0] };
  }

  /** Waits for a PSK lookup in wait_psk (RFC 4279 2: the application may answer asynchronously). */
  private readonly waitForPsk: AwaitValue = (value, what, then) => {
    if (value instanceof Promise) this.current = 'wait_psk';
    this.awaitValue(value, what, then);
  };

  private x509(): NonNullable<ResolvedClientOptions['x509']> {
    const x = this.config.x509;
    if (!x) throw new DtlsError(AlertDescription.internal_error, 'certificate suite negotiated without x509 credentials');
    return x;
  }

  /** RFC 5246 7.4.2: the server's chain, checked (possibly asynchronously) before anything it signed is trusted. */
  private onCertificate(m: HandshakeMessage): void {
    const chain = decodeCertificate(m.body).certificates;
    if (chain.length === 0) throw new DtlsError(AlertDescription.handshake_failure, 'server sent an empty certificate chain');
    this.transcript.add(m.msgType, m.messageSeq, m.body);
    this.negotiated.peerCertificates = chain;
    const verify = this.x509().verifier.verifyChain(chain, { peerRole: 'server', servername: this.config.servername });
    this.awaitValue(verify, 'server certificate verification', (result) => {
      this.negotiated.authorized = result?.authorized ?? true;
      this.negotiated.authorizationError = result?.authorizationError;
      this.current = 'wait_server_key_exchange';
    });
  }

  /** RFC 5246 7.4.4: the server wants our certificate. */
  private onCertificateRequest(m: HandshakeMessage): void {
    this.certificateRequest = decodeCertificateRequest(m.body);
    this.transcript.add(m.msgType, m.messageSeq, m.body);
  }

  /** RFC 5246 7.4.3: the key exchange reads (and, when signed, checks) the server's parameters. */
  private onServerKeyExchange(m: HandshakeMessage): void {
    const record = (): void => this.transcript.add(m.msgType, m.messageSeq, m.body);
    this.keyExchange().readServerKeyExchange(m.body, this.keyExchangeContext(), record, this.awaitValue.bind(this), (agreement) => {
      this.agreement = agreement;
      this.current = 'wait_server_hello_done';
    });
  }

  private onServerHelloDone(m: HandshakeMessage): void {
    decodeServerHelloDone(m.body);
    const agreement = this.agreement;
    if (!agreement) throw this.unexpected(m);
    this.transcript.add(m.msgType, m.messageSeq, m.body);
    const suite = this.requireSuite();
    const flight = this.usesCertificates() ? this.clientCertificate() : { messages: [], signing: undefined };
    agreement.clientKeyExchange(this.keyExchangeContext(), this.waitForPsk, (out) => {
      this.negotiated.pskIdentity = out.pskIdentity;
      const cke = this.message(HandshakeType.client_key_exchange, out.body);
      this.transcript.add(cke.msgType, cke.messageSeq, out.body);
      const messages = [...flight.messages, cke];
      this.deriveKeys(suite, out.premaster);
      const signing = flight.signing;
      if (!signing) return this.sendFinishedFlight(suite, messages);
      // RFC 5246 7.4.8: proof that we hold the key — a signature over every message so far.
      this.current = 'wait_signature';
      this.awaitValue(signing.signer.sign(signing.scheme, this.transcript.bytes()), 'CertificateVerify signing', (signature) => {
        const body = encodeCertificateVerify({ scheme: signing.scheme, signature });
        const cv = this.message(HandshakeType.certificate_verify, body);
        this.transcript.add(cv.msgType, cv.messageSeq, body);
        this.sendFinishedFlight(suite, [...messages, cv]);
      });
    });
  }

  /**
   * The start of flight 5 in a certificate suite: a Certificate when the server asked (RFC 5246
   * 7.3) — ours when it fits the request, otherwise an empty one (RFC 5246 7.4.6) and the server
   * decides — and the key to sign the CertificateVerify with, when ours was sent.
   */
  private clientCertificate(): { messages: FlightMessage[]; signing: { signer: CertificateSigner; scheme: number } | undefined } {
    const request = this.certificateRequest;
    if (!request) return { messages: [], signing: undefined };
    let signer = this.x509().signer;
    const wantedType = signer?.keyExchange === 'ecdhe_rsa' ? CERTIFICATE_TYPE_RSA_SIGN : CERTIFICATE_TYPE_ECDSA_SIGN;
    const scheme = signer && request.certificateTypes.includes(wantedType) ? chooseScheme(signer.signatureSchemes, request.signatureSchemes) : undefined;
    if (scheme === undefined) signer = undefined;
    const body = encodeCertificate({ certificates: signer ? [...signer.chain] : [] });
    const cert = this.message(HandshakeType.certificate, body);
    this.transcript.add(cert.msgType, cert.messageSeq, body);
    return { messages: [cert], signing: signer && scheme !== undefined ? { signer, scheme } : undefined };
  }

  /** Master secret (extended when negotiated: the session hash ends with the ClientKeyExchange) and key block. */
  private deriveKeys(suite: CipherSuite, premaster: Uint8Array): void {
    const provider = this.config.provider;
    const n = this.negotiated;
    const sessionHash = n.extendedMasterSecret ? this.transcript.hash(provider, suite.prfHash) : undefined;
    this.keys = deriveSessionKeys(provider, suite, premaster, n.clientRandom, n.serverRandom, sessionHash);
    n.masterSecret = this.keys.masterSecret;
  }

  /** Ends flight 5 with ChangeCipherSpec and Finished under the new keys, and sends it. */
  private sendFinishedFlight(suite: CipherSuite, messages: readonly FlightMessage[]): void {
    const provider = this.config.provider;
    const keys = this.keys;
    if (!keys) throw new DtlsError(AlertDescription.internal_error, 'no keys for Finished');
    const ccs: FlightMessage = { kind: 'change_cipher_spec', epoch: this.host.records.writeEpoch };
    this.host.records.setWriteKeys(keys.client);
    const finishedBody = encodeFinished({
      verifyData: verifyData(provider, suite.prfHash, keys.masterSecret, 'client finished', this.transcript.hash(provider, suite.prfHash)),
    });
    const fin = this.message(HandshakeType.finished, finishedBody);
    this.transcript.add(fin.msgType, fin.messageSeq, finishedBody);
    this.current = 'wait_finished';
    this.sendFlight([...messages, ccs, fin], false);
    this.expectChangeCipherSpec(keys.server);
  }

  private onFinished(m: HandshakeMessage): void {
    this.checkFinishedUnderNewKeys(m);
    const suite = this.requireSuite();
    const keys = this.keys;
    if (!keys) throw new DtlsError(AlertDescription.internal_error, 'Finished without keys');
    const expected = verifyData(this.config.provider, suite.prfHash, keys.masterSecret, 'server finished', this.transcript.hash(this.config.provider, suite.prfHash));
    if (!constantTimeEqual(decodeFinished(m.body).verifyData, expected)) {
      throw new DtlsError(AlertDescription.decrypt_error, 'server Finished does not verify');
    }
    this.current = 'established';
    this.finish(false);
  }

  private requireSuite(): CipherSuite {
    const s = this.negotiated.suite;
    if (!s) throw new DtlsError(AlertDescription.internal_error, 'no cipher suite negotiated');
    return s;
  }
}

function isIpLiteral(name: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.includes(':');
}
