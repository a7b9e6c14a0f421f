import { AlertDescription } from '../../../alert.js';
import { pskBinderAlertHint } from '../../dtls13/client-alert-hints-13.js';
import { DtlsError, IllegalParameterError } from '../../../errors.js';
import { cipherSuiteById } from '../../../suites/registry.js';
import type { HandshakeMessage } from '../../common/handshake-engine.js';
import { decodeConnectionId } from '../../extensions/connection-id.js';
import { recordFormatForConnectionId } from '../../../record/tls12-cid-record-format.js';
import { decodeRrc } from '../../extensions/rrc.js';
import { decodeAlpn } from '../../extensions/alpn.js';
import { decodeEcPointFormats, EC_POINT_FORMAT_UNCOMPRESSED } from '../../extensions/ec-point-formats.js';
import { acceptEncryptThenMac } from '../../extensions/encrypt-then-mac.js';
import { decodeExtendedMasterSecret } from '../../extensions/extended-master-secret.js';
import { findExtension } from '../../extensions/extension.js';
import { ExtensionType } from '../../extensions/extension-type.js';
import { decodeRenegotiationInfo } from '../../extensions/renegotiation-info.js';
import { HandshakeType } from '../../handshake-type.js';
import { keyExchangeFor } from '../../key-exchange/registry.js';
import { acceptRecordSizeLimit } from '../../common/record-size-negotiation.js';
import { type ClientHello, encodeClientHello } from '../../messages/client-hello.js';
import { decodeHelloVerifyRequest } from '../../messages/hello-verify-request.js';
import { decodeServerHello } from '../../messages/server-hello.js';
import { DTLS_1_0, DTLS_1_2 } from '../../protocol-version.js';
import type { ClientContext, ClientState } from './client-state.js';
import { acceptCertificateTypes } from '../../common/certificate-types.js';
import { WaitCertificate } from './wait-certificate.js';
import { WaitServerKeyExchange } from './wait-server-key-exchange.js';
import { resumeClientSession } from './resumed.js';
import { checkUseSrtp } from '../../../srtp/use-srtp-negotiation.js';
import type { Dtls13Offer } from '../../dtls13/client-hello-offer.js';
import { serverVersionChoice } from '../../dtls13/server-version-choice.js';
import { dtls13ClientOnServerHello } from '../../dtls13/client-server-hello.js';

/** A server may ask for a new cookie a few times (its secret rotated), never forever. */
const MAX_HELLO_VERIFY_REQUESTS = 4;

/** Sends flight 1 (or 3, with the server's cookie: RFC 6347 4.2.1); the transcript starts with it. */
export function sendClientHello(cx: ClientContext, hello: ClientHello, helloVerifyRequests: number, dtls13Offer?: Dtls13Offer): ClientState {
  const body = encodeClientHello(hello);
  const m = cx.message(HandshakeType.client_hello, body);
  cx.transcript.reset();
  cx.transcript.add(m.msgType, m.messageSeq, body);
  cx.sendFlight([m], false);
  return new WaitServerHello(hello, helloVerifyRequests, dtls13Offer);
}

/** Flight 1 or 3 sent: a HelloVerifyRequest or the ServerHello comes next (RFC 6347 4.2.1, 4.2.4). */
export class WaitServerHello implements ClientState {
  readonly name = 'wait_server_hello';

  constructor(
    private readonly hello: ClientHello,
    private readonly helloVerifyRequests: number,
    /** Our DTLS 1.3 offer when maxVersion is 'DTLSv1.3' (the hello above is then its ClientHello). */
    private readonly dtls13Offer?: Dtls13Offer,
  ) {}

  /**
   * Flight 3 (the ClientHello with the server's cookie) is out: the server's flight 4 takes it a
   * while (its key pair, its signature), the spare time to make the key pair of our
   * ClientKeyExchange. Not after flight 1: a HelloVerifyRequest (RFC 6347 4.2.1) comes back at
   * once, and making a key pair then would only hold up our answer to it. Nor when we offer a
   * session to resume: the server's answer then needs no key pair.
   */
  get keyShareAhead(): boolean {
    // Offering a session (RFC 5246 7.3), the answer is most likely the abbreviated handshake: no key exchange.
    return this.hello.cookie.length > 0 && this.hello.sessionId.length === 0;
  }

  /** DTLS 1.3 offered: a server that cannot verify our PSK binder says so now (RFC 8446 4.2.11). */
  peerAlertHint(description: AlertDescription): string | undefined {
    return pskBinderAlertHint(this.dtls13Offer?.psks ?? [], description);
  }

  handle(m: HandshakeMessage, cx: ClientContext): ClientState {
    if (m.msgType === HandshakeType.hello_verify_request) return this.onHelloVerifyRequest(m, cx);
    if (m.msgType === HandshakeType.server_hello) return this.onServerHello(m, cx);
    throw cx.unexpected(m);
  }

  /** RFC 6347 4.2.1: send the ClientHello again with the server's cookie (flight 3). */
  private onHelloVerifyRequest(m: HandshakeMessage, cx: ClientContext): ClientState {
    const hvr = decodeHelloVerifyRequest(m.body);
    if (hvr.serverVersion !== DTLS_1_0 && hvr.serverVersion !== DTLS_1_2) {
      throw new DtlsError(AlertDescription.protocol_version, `HelloVerifyRequest with version 0x${hvr.serverVersion.toString(16)}`);
    }
    const count = this.helloVerifyRequests + 1;
    if (count > MAX_HELLO_VERIFY_REQUESTS) {
      throw new DtlsError(AlertDescription.handshake_failure, `server sent more than ${MAX_HELLO_VERIFY_REQUESTS} HelloVerifyRequests`);
    }
    // A DTLS 1.2 server's cookie (RFC 6347 4.2.1), whatever we offered: the offer stays as it was.
    return sendClientHello(cx, { ...this.hello, cookie: hvr.cookie }, count, this.dtls13Offer);
  }

  private onServerHello(m: HandshakeMessage, cx: ClientContext): ClientState {
    const config = cx.config;
    const sh = decodeServerHello(m.body);
    // The shared hello phase: the version first (RFC 8446 4.2.1, 4.1.3).
    const version = serverVersionChoice(sh, this.dtls13Offer, config.minVersion);
    if (version === 'DTLSv1.3' && this.dtls13Offer !== undefined) {
      // The 1.3 client takes over (handshake/dtls13/).
      return dtls13ClientOnServerHello(m, sh, cx, { offer: this.dtls13Offer, hello: this.hello, keyShares: this.dtls13Offer.keyShares, transcript: undefined, retry: undefined });
    }
    cx.records.stopHoldingUnifiedRecords();
    if (sh.serverVersion !== DTLS_1_2) {
      throw new DtlsError(AlertDescription.protocol_version, `server chose version 0x${sh.serverVersion.toString(16)}; only DTLS 1.2 is supported`);
    }
    const suite = cipherSuiteById(sh.cipherSuite);
    if (!suite || !config.suites.includes(suite)) {
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
    else if (config.requireExtendedMasterSecret) {
      throw new DtlsError(AlertDescription.handshake_failure, 'server does not support extended_master_secret (RFC 7627), which is required');
    }
    const formats = findExtension(sh.extensions, ExtensionType.ec_point_formats);
    if (formats && !decodeEcPointFormats(formats.data).includes(EC_POINT_FORMAT_UNCOMPRESSED)) {
      throw new IllegalParameterError('server does not accept uncompressed EC points (RFC 8422 5.2)');
    }
    const n = cx.negotiated;
    const alpn = findExtension(sh.extensions, ExtensionType.application_layer_protocol_negotiation);
    if (alpn) {
      const chosen = decodeAlpn(alpn.data);
      const first = chosen[0];
      // RFC 7301 3.1: exactly one protocol, one that we offered.
      if (chosen.length !== 1 || first === undefined || !config.alpnProtocols.includes(first)) {
        throw new IllegalParameterError('server selected an ALPN protocol we did not offer');
      }
      n.alpnProtocol = first;
    }
    checkUseSrtp(sh.extensions, config, n); // RFC 5764 4.1.1
    const cid = findExtension(sh.extensions, ExtensionType.connection_id);
    if (cid) {
      // RFC 9146 3: the server's extension carries the CID it wants to receive; ours, the one we
      // offered (it answers only an offer, checked above).
      const offeredCid = findExtension(this.hello.extensions, ExtensionType.connection_id);
      const receive = offeredCid ? decodeConnectionId(offeredCid.data) : new Uint8Array(0);
      n.connectionId = { receive, send: decodeConnectionId(cid.data) };
      // The server's epoch-1 records carry our CID: frame them so, even when they overtake its ChangeCipherSpec.
      cx.records.expectReadFormat(recordFormatForConnectionId(receive));
    }
    const rrc = findExtension(sh.extensions, ExtensionType.rrc);
    if (rrc) {
      decodeRrc(rrc.data);
      // RFC 9853 3: a server MUST NOT answer rrc without connection_id.
      if (!cid) throw new IllegalParameterError('server sent rrc without connection_id (RFC 9853 3)');
      n.returnRoutabilityCheck = true;
    }
    acceptRecordSizeLimit(sh.extensions, config, n, cx.records); // RFC 8449, RFC 6066 4
    n.encryptThenMac = acceptEncryptThenMac(sh.extensions, suite, config); // RFC 7366 3
    // RFC 5246 7.3: the server echoed our session ID, so it resumes the session: abbreviated handshake.
    const session = cx.resumption.offered;
    if (cx.resumption.onServerHello(sh) && session !== undefined) return resumeClientSession(m, sh, cx, session, suite);
    acceptCertificateTypes(sh.extensions, this.hello.extensions, config, keyExchangeFor(suite).certificates, n); // RFC 7250 4.2
    n.suite = suite;
    n.serverRandom = sh.random;
    n.extendedMasterSecret = ems !== undefined;
    cx.transcript.add(m.msgType, m.messageSeq, m.body);
    return keyExchangeFor(suite).certificates ? new WaitCertificate(suite) : new WaitServerKeyExchange(suite);
  }
}
