import type { CertificateVerifier } from '../../../key-exchange/certificate-credentials.js';
import type { CipherSuite } from '../../../suites/cipher-suite.js';
import type { HandshakeMessage } from '../../common/handshake-engine.js';
import { HandshakeType } from '../../handshake-type.js';
import type { ClientKeyExchangeReader } from '../../key-exchange/key-exchange.js';
import { deriveSessionKeys, type SessionKeys } from '../session-keys.js';
import { idle, type ServerContext, type ServerState } from './server-state.js';
import { WaitCertificateVerify } from './wait-certificate-verify.js';
import { WaitFinished } from './wait-finished.js';

const WAIT_PSK = idle('wait_psk');

/** The client's certificate, checked, whose key must sign the CertificateVerify. */
export interface ClientCertificate {
  readonly verifier: CertificateVerifier;
  readonly leaf: Uint8Array;
}

/** Flight 4 sent: the client's ClientKeyExchange (RFC 5246 7.4.7) is next. */
export class WaitClientKeyExchange implements ServerState {
  readonly name = 'wait_client_key_exchange';

  constructor(
    private readonly suite: CipherSuite,
    private readonly reader: ClientKeyExchangeReader,
    private readonly clientCertificate: ClientCertificate | undefined,
  ) {}

  /** RFC 5246 7.4.7: the key exchange reads the ClientKeyExchange; the keys follow (after a PSK lookup in PSK suites). */
  handle(m: HandshakeMessage, cx: ServerContext): ServerState {
    if (m.msgType !== HandshakeType.client_key_exchange) throw cx.unexpected(m);
    const record = (): void => {
      cx.transcript.add(m.msgType, m.messageSeq, m.body);
      cx.clientKeyExchangeAt(m.messageSeq);
    };
    return this.reader.readClientKeyExchange(m.body, record, cx.wait(WAIT_PSK), (agreement) => {
      cx.negotiated.pskIdentity = agreement.pskIdentity;
      const keys = deriveKeys(cx, this.suite, agreement.premaster);
      // A client that sent a certificate must prove it holds the key before its Finished counts.
      const cert = this.clientCertificate;
      return cert ? new WaitCertificateVerify(this.suite, keys, cert.verifier, cert.leaf) : new WaitFinished(this.suite, keys);
    });
  }
}

/** Master secret (extended: the session hash ends with the ClientKeyExchange, RFC 7627 3) and keys. */
function deriveKeys(cx: ServerContext, suite: CipherSuite, premaster: Uint8Array): SessionKeys {
  const n = cx.negotiated;
  const provider = cx.config.provider;
  const sessionHash = n.extendedMasterSecret ? cx.transcript.hash(provider, suite.prfHash) : undefined;
  const keys = deriveSessionKeys(provider, suite, premaster, n.clientRandom, n.serverRandom, sessionHash, n.encryptThenMac);
  n.masterSecret = keys.masterSecret;
  cx.expectChangeCipherSpec(keys.client);
  return keys;
}
