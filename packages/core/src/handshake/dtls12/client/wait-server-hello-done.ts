import type { CertificateSigner } from '../../../key-exchange/certificate-credentials.js';
import type { CipherSuite } from '../../../suites/cipher-suite.js';
import type { HandshakeMessage } from '../../common/handshake-engine.js';
import type { FlightMessage } from '../../common/flight.js';
import { HandshakeType } from '../../handshake-type.js';
import type { ClientKeyAgreement } from '../../key-exchange/key-exchange.js';
import { keyExchangeFor } from '../../key-exchange/registry.js';
import { type CertificateRequest, decodeCertificateRequest } from '../../messages/certificate-request.js';
import { encodeCertificateVerify } from '../../messages/certificate-verify.js';
import { decodeServerHelloDone } from '../../messages/server-hello-done.js';
import { deriveSessionKeys, type SessionKeys } from '../session-keys.js';
import { CERTIFICATE_TYPE_ECDSA_SIGN, CERTIFICATE_TYPE_RSA_SIGN, chooseScheme } from '../signature-selection.js';
import { x509Credentials } from '../../common/x509-credentials.js';
import { ownCertificateBody, ownSigner } from '../../common/certificate-types.js';
import { type ClientContext, type ClientState, idle } from './client-state.js';
import { type ClientCertificateOutcome, sendFinishedFlight } from './wait-finished.js';
import { keyExchangeContext } from './wait-server-key-exchange.js';

const WAIT_PSK = idle('wait_psk');
const WAIT_SIGNATURE = idle('wait_signature');

/** Our certificate and the key that signs the CertificateVerify, when we send one. */
interface ClientSigning {
  readonly signer: CertificateSigner;
  readonly scheme: number;
}

/**
 * The rest of flight 4: ServerHelloDone (RFC 5246 7.4.5), after a CertificateRequest in
 * certificate suites when the server wants our certificate (RFC 5246 7.4.4).
 */
export class WaitServerHelloDone implements ClientState {
  readonly name = 'wait_server_hello_done';

  constructor(
    private readonly suite: CipherSuite,
    private readonly agreement: ClientKeyAgreement,
    private readonly certificateRequest: CertificateRequest | undefined,
  ) {}

  handle(m: HandshakeMessage, cx: ClientContext): ClientState {
    if (m.msgType === HandshakeType.server_hello_done) return this.onServerHelloDone(m, cx);
    if (m.msgType === HandshakeType.certificate_request && keyExchangeFor(this.suite).certificates && !this.certificateRequest) {
      const request = decodeCertificateRequest(m.body);
      cx.transcript.add(m.msgType, m.messageSeq, m.body);
      return new WaitServerHelloDone(this.suite, this.agreement, request);
    }
    throw cx.unexpected(m);
  }

  /**
   * Flight 5: [Certificate], ClientKeyExchange, [CertificateVerify], ChangeCipherSpec, Finished
   * (RFC 5246 7.3), after the PSK lookup in PSK suites.
   */
  private onServerHelloDone(m: HandshakeMessage, cx: ClientContext): ClientState {
    decodeServerHelloDone(m.body);
    cx.transcript.add(m.msgType, m.messageSeq, m.body);
    const suite = this.suite;
    const start = keyExchangeFor(suite).certificates ? this.clientCertificate(cx) : { messages: [], signing: undefined, outcome: 'not-requested' as const };
    return this.agreement.clientKeyExchange(keyExchangeContext(cx, suite), cx.wait(WAIT_PSK), (out) => {
      cx.negotiated.pskIdentity = out.pskIdentity;
      const cke = cx.message(HandshakeType.client_key_exchange, out.body);
      cx.transcript.add(cke.msgType, cke.messageSeq, out.body);
      const messages = [...start.messages, cke];
      const keys = deriveKeys(cx, suite, out.premaster);
      const signing = start.signing;
      if (!signing) return sendFinishedFlight(cx, suite, keys, messages, start.outcome);
      // RFC 5246 7.4.8: proof that we hold the key — a signature over every message so far.
      return cx.wait(WAIT_SIGNATURE)(signing.signer.sign(signing.scheme, cx.transcript.bytes()), 'CertificateVerify signing', (signature) => {
        const body = encodeCertificateVerify({ scheme: signing.scheme, signature });
        const cv = cx.message(HandshakeType.certificate_verify, body);
        cx.transcript.add(cv.msgType, cv.messageSeq, body);
        return sendFinishedFlight(cx, suite, keys, [...messages, cv], 'sent');
      });
    });
  }

  /**
   * The start of flight 5 in a certificate suite: a Certificate when the server asked — ours
   * when it fits the request, otherwise an empty one (RFC 5246 7.4.6) and the server decides —
   * and the key to sign the CertificateVerify with, when ours was sent.
   */
  private clientCertificate(cx: ClientContext): { messages: FlightMessage[]; signing: ClientSigning | undefined; outcome: ClientCertificateOutcome } {
    const request = this.certificateRequest;
    if (!request) return { messages: [], signing: undefined, outcome: 'not-requested' };
    const credentials = x509Credentials(cx.config);
    let signer = ownSigner(credentials, cx.negotiated.clientCertificateType);
    const had = signer !== undefined;
    const wantedType = signer?.keyExchange === 'ecdhe_rsa' ? CERTIFICATE_TYPE_RSA_SIGN : CERTIFICATE_TYPE_ECDSA_SIGN;
    const scheme = signer && request.certificateTypes.includes(wantedType) ? chooseScheme(signer.signatureSchemes, request.signatureSchemes) : undefined;
    if (scheme === undefined) signer = undefined;
    // RFC 7250 3: our raw key when the server took client_certificate_type RawPublicKey.
    const body = ownCertificateBody(credentials, cx.negotiated.clientCertificateType, signer !== undefined);
    const cert = cx.message(HandshakeType.certificate, body);
    cx.transcript.add(cert.msgType, cert.messageSeq, body);
    const signing = signer && scheme !== undefined ? { signer, scheme } : undefined;
    return { messages: [cert], signing, outcome: signing ? 'sent' : had ? 'unsuitable' : 'none' };
  }
}

/** Master secret (extended when negotiated: the session hash ends with the ClientKeyExchange, RFC 7627 3) and key block. */
function deriveKeys(cx: ClientContext, suite: CipherSuite, premaster: Uint8Array): SessionKeys {
  const provider = cx.config.provider;
  const n = cx.negotiated;
  const sessionHash = n.extendedMasterSecret ? cx.transcript.hash(provider, suite.prfHash) : undefined;
  const keys = deriveSessionKeys(provider, suite, premaster, n.clientRandom, n.serverRandom, sessionHash, n.encryptThenMac);
  n.masterSecret = keys.masterSecret;
  return keys;
}
