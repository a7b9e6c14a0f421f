import { AlertDescription } from '../../../alert.js';
import { dtls12ServerRandom } from '../../common/server-random.js';
import { DtlsError, IllegalParameterError } from '../../../errors.js';
import { credentialsRun } from '../../../options.js';
import type { CipherSuite } from '../../../suites/cipher-suite.js';
import type { HandshakeMessage } from '../../common/handshake-engine.js';
import { decodeEcPointFormats, EC_POINT_FORMAT_UNCOMPRESSED } from '../../extensions/ec-point-formats.js';
import { decodeExtendedMasterSecret } from '../../extensions/extended-master-secret.js';
import { findExtension } from '../../extensions/extension.js';
import { encryptThenMacAllows } from '../../extensions/encrypt-then-mac.js';
import { ExtensionType } from '../../extensions/extension-type.js';
import { NamedGroup, namedGroupId } from '../../extensions/named-group.js';
import { decodeRenegotiationInfo } from '../../extensions/renegotiation-info.js';
import { decodeServerName } from '../../extensions/server-name.js';
import { decodeSignatureAlgorithms } from '../../extensions/signature-algorithms.js';
import { decodeSupportedGroups } from '../../extensions/supported-groups.js';
import type { FlightMessage } from '../../common/flight.js';
import { HandshakeType } from '../../handshake-type.js';
import type { ClientOffer, ServerKeyExchanger } from '../../key-exchange/key-exchange.js';
import { keyExchangeFor } from '../../key-exchange/registry.js';
import { encodeCertificateRequest } from '../../messages/certificate-request.js';
import { type ClientHello, decodeClientHello } from '../../messages/client-hello.js';
import { encodeServerHelloDone } from '../../messages/server-hello-done.js';
import { encodeServerHello } from '../../messages/server-hello.js';
import { DTLS_1_2 } from '../../protocol-version.js';
import { CERTIFICATE_TYPE_ECDSA_SIGN, CERTIFICATE_TYPE_RSA_SIGN } from '../signature-selection.js';
import { idle, type ServerContext, type ServerState } from './server-state.js';
import { x509Credentials } from '../../common/x509-credentials.js';
import { ownCertificateBody, peerVerifier } from '../../common/certificate-types.js';
import { WaitClientCertificate } from './wait-client-certificate.js';
import { WaitClientKeyExchange } from './wait-client-key-exchange.js';
import { chooseAlpn } from './choose-alpn.js';
import { askSni, sniCredentials, type SniAnswer } from '../../common/sni-answer.js';
import { answerServerHelloExtensions } from './server-hello-extensions.js';
import { findSession, resumableSuite } from './session-lookup.js';
import { resumeSession } from './resume-session.js';
import { planSessionIssue } from '../../../session/session-issue.js';

const WAIT_SIGNATURE = idle('wait_signature');
const WAIT_SNI = idle('wait_sni');
const WAIT_SESSION = idle('wait_session');

/** An outgoing message, entered in the transcript. */
export function recorded(cx: ServerContext, msgType: number, body: Uint8Array): FlightMessage {
  const m = cx.message(msgType, body);
  cx.transcript.add(msgType, m.messageSeq, body);
  return m;
}

/** The ClientHello whose cookie the endpoint verified: we answer with flight 4 (RFC 6347 4.2.4 Figure 1). */
export class WaitClientHello implements ServerState {
  readonly name = 'wait_client_hello';

  handle(m: HandshakeMessage, cx: ServerContext): ServerState {
    if (m.msgType !== HandshakeType.client_hello) throw cx.unexpected(m);
    const config = cx.config;
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
    const ems = findExtension(ch.extensions, ExtensionType.extended_master_secret);
    if (ems) decodeExtendedMasterSecret(ems.data);
    else if (config.requireExtendedMasterSecret) {
      throw new DtlsError(AlertDescription.handshake_failure, 'client does not offer extended_master_secret (RFC 7627), which is required');
    }
    const sni = findExtension(ch.extensions, ExtensionType.server_name);
    const servername = sni ? decodeServerName(sni.data) : undefined;
    cx.negotiated.servername = servername;
    const sniCallback = config.sniCallback;
    // node:tls asks SNICallback only when the client sent a name; otherwise the defaults serve.
    if (sniCallback === undefined || servername === undefined) return answerClientHello(m, ch, cx, false);
    // The server_name picks the credentials, and the credentials the suites we can choose: the
    // rest of the ClientHello waits for the answer (a retransmitted ClientHello is a message
    // already taken, so it cannot ask again).
    return cx.wait(WAIT_SNI)(askSni(sniCallback, servername), 'SNICallback', (answer) =>
      answerClientHello(m, ch, cx, useSniAnswer(cx, answer, servername)),
    );
  }
}

/**
 * Applies SNICallback's answer (sni-answer.ts): its credentials replace the defaults for this
 * handshake. Returns whether the name chose the credentials (the ServerHello then acknowledges it).
 */
function useSniAnswer(cx: ServerContext, answer: SniAnswer, servername: string): boolean {
  const credentials = sniCredentials(answer, servername, cx.config.psk !== undefined || cx.config.x509 !== undefined);
  if (credentials === undefined) return false;
  cx.useCredentials(credentials);
  return true;
}

/**
 * The rest of the ClientHello, with the credentials in force: a session to resume (the
 * abbreviated handshake, RFC 5246 7.3), otherwise the suite, the extensions, flight 4.
 * `sniUsed`: the client's server_name chose the credentials.
 */
function answerClientHello(m: HandshakeMessage, ch: ClientHello, cx: ServerContext, sniUsed: boolean): ServerState {
  const config = cx.config;
  if (config.psk === undefined && config.x509 === undefined) {
    // Only with SNICallback (resolveServerOptions): a client that sent no server_name.
    throw new DtlsError(AlertDescription.handshake_failure, 'the client sent no server_name, and there are no default credentials (SNICallback is asked only for a name)');
  }
  const alpnProtocol = chooseAlpn(config, ch, cx.negotiated.servername);
  // The session store may answer later: the ClientHello waits for it (WAIT_SESSION).
  return cx.wait(WAIT_SESSION)(findSession(ch, cx), 'session store', (found) => {
    const suite = found === undefined ? undefined : resumableSuite(found, ch, cx, alpnProtocol);
    if (found !== undefined && suite !== undefined) return resumeSession(m, ch, cx, found, suite, sniUsed);
    return fullHandshake(m, ch, cx, sniUsed, alpnProtocol);
  });
}

/** A full handshake (RFC 6347 4.2.4 Figure 1): our suite, the extensions, flight 4. */
function fullHandshake(m: HandshakeMessage, ch: ClientHello, cx: ServerContext, sniUsed: boolean, alpnProtocol: string | undefined): ServerState {
  const config = cx.config;
  const ems = findExtension(ch.extensions, ExtensionType.extended_master_secret);
  const groupsExt = findExtension(ch.extensions, ExtensionType.supported_groups);
  // RFC 8422 4: a client that sends no supported_groups is assumed to support secp256r1.
  const clientGroups = groupsExt ? decodeSupportedGroups(groupsExt.data) : [NamedGroup.secp256r1];
  const formatsExt = findExtension(ch.extensions, ExtensionType.ec_point_formats);
  const uncompressedOk = !formatsExt || decodeEcPointFormats(formatsExt.data).includes(EC_POINT_FORMAT_UNCOMPRESSED);
  const sigAlgs = findExtension(ch.extensions, ExtensionType.signature_algorithms);
  const offer: ClientOffer = {
    group: config.groups.find((g) => clientGroups.includes(namedGroupId(g))),
    uncompressedPoints: uncompressedOk,
    signatureSchemes: sigAlgs ? decodeSignatureAlgorithms(sigAlgs.data) : undefined,
  };
  // RFC 5246 7.4.1.3: our first suite (our preference) that the client offers and whose key
  // exchange this ClientHello and our credentials can do.
  let chosen: { suite: CipherSuite; exchanger: ServerKeyExchanger } | undefined;
  for (const s of config.suites) {
    if (!ch.cipherSuites.includes(s.id) || !credentialsRun(config, s.keyExchange)) continue;
    if (!encryptThenMacAllows(ch.extensions, s, config)) continue; // RFC 7366: requireEncryptThenMac
    const exchanger = keyExchangeFor(s).server(s, offer, config);
    if (exchanger) {
      chosen = { suite: s, exchanger };
      break;
    }
  }
  if (!chosen) throw new DtlsError(AlertDescription.handshake_failure, 'no cipher suite in common with the client');
  const { suite, exchanger } = chosen;

  cx.transcript.add(m.msgType, m.messageSeq, m.body);
  const n = cx.negotiated;
  n.suite = suite;
  n.clientRandom = ch.random;
  n.serverRandom = dtls12ServerRandom(config.provider, config.maxVersion); // RFC 8446 4.1.3
  n.extendedMasterSecret = ems !== undefined;
  n.alpnProtocol = alpnProtocol;

  const ext = answerServerHelloExtensions(ch, cx, { suite, sniUsed, alpnProtocol, resumed: false });
  // How this session will be resumed: by a ticket we promised, or by the session ID we give now.
  const issue = planSessionIssue(config, ext);
  cx.sessionIssue = issue;
  const flight: FlightMessage[] = [];
  const shBody = encodeServerHello({
    serverVersion: DTLS_1_2,
    random: n.serverRandom,
    // RFC 5246 7.4.1.3: empty when the session will not be resumed by ID.
    sessionId: issue?.sessionId ?? new Uint8Array(0),
    cipherSuite: suite.id,
    compressionMethod: 0,
    extensions: ext,
  });
  flight.push(recorded(cx, HandshakeType.server_hello, shBody));
  return sendServerKeyExchangeFlight(cx, flight, exchanger, suite);
}

/**
 * The rest of flight 4 (RFC 5246 7.3): [Certificate], [ServerKeyExchange] (signed over both
 * randoms in certificate suites, RFC 8422 5.4), [CertificateRequest], ServerHelloDone.
 */
function sendServerKeyExchangeFlight(cx: ServerContext, flight: FlightMessage[], exchanger: ServerKeyExchanger, suite: CipherSuite): ServerState {
  if (exchanger.certificates) {
    // RFC 7250 3: our raw key when the client took server_certificate_type RawPublicKey.
    flight.push(recorded(cx, HandshakeType.certificate, ownCertificateBody(x509Credentials(cx.config), cx.negotiated.serverCertificateType, true)));
  }
  const n = cx.negotiated;
  return exchanger.serverKeyExchange(n.clientRandom, n.serverRandom, cx.wait(WAIT_SIGNATURE), (ske, reader) => {
    if (ske) flight.push(recorded(cx, HandshakeType.server_key_exchange, ske));
    const x509 = cx.config.x509;
    // RFC 5246 7.4.4: ask for the client's certificate (requestCert comes with a verifier: resolveServerOptions).
    const verifier = exchanger.certificates && x509 !== undefined && x509.requestCert ? peerVerifier(x509, n.clientCertificateType) : undefined;
    if (x509 && verifier) {
      const request = encodeCertificateRequest({
        certificateTypes: [CERTIFICATE_TYPE_ECDSA_SIGN, CERTIFICATE_TYPE_RSA_SIGN],
        signatureSchemes: [...verifier.signatureSchemes],
        authorities: [...verifier.authorities],
      });
      flight.push(recorded(cx, HandshakeType.certificate_request, request));
    }
    flight.push(recorded(cx, HandshakeType.server_hello_done, encodeServerHelloDone()));
    cx.sendFlight(flight, false);
    return x509 && verifier
      ? new WaitClientCertificate(suite, reader, verifier, x509.rejectUnauthorized)
      : new WaitClientKeyExchange(suite, reader, undefined);
  });
}
