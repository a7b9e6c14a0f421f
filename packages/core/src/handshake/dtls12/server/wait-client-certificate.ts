import { AlertDescription } from '../../../alert.js';
import { DtlsError } from '../../../errors.js';
import type { CertificateVerifier } from '../../../key-exchange/certificate-credentials.js';
import type { CipherSuite } from '../../../suites/cipher-suite.js';
import type { HandshakeMessage } from '../../common/handshake-engine.js';
import { HandshakeType } from '../../handshake-type.js';
import type { ClientKeyExchangeReader } from '../../key-exchange/key-exchange.js';
import { readPeerCertificate } from '../../common/certificate-types.js';
import type { ServerContext, ServerState } from './server-state.js';
import { WaitClientKeyExchange } from './wait-client-key-exchange.js';

/** Flight 4 asked for the client's certificate (RFC 5246 7.4.4): its Certificate comes first in flight 5. */
export class WaitClientCertificate implements ServerState {
  readonly name = 'wait_client_certificate';

  constructor(
    private readonly suite: CipherSuite,
    private readonly reader: ClientKeyExchangeReader,
    private readonly verifier: CertificateVerifier,
    private readonly rejectUnauthorized: boolean,
  ) {}

  /** RFC 5246 7.4.6: the client's chain; empty means it has none for us. Asked, the client must answer (even with an empty one). */
  handle(m: HandshakeMessage, cx: ServerContext): ServerState {
    if (m.msgType !== HandshakeType.certificate) throw cx.unexpected(m);
    const n = cx.negotiated;
    // RFC 7250 3: a bare SubjectPublicKeyInfo when a raw public key was negotiated.
    const chain = readPeerCertificate(m.body, n.clientCertificateType, n);
    cx.transcript.add(m.msgType, m.messageSeq, m.body);
    const leaf = chain[0];
    if (leaf === undefined) {
      if (this.rejectUnauthorized) throw new DtlsError(AlertDescription.handshake_failure, 'a client certificate is required and none was sent');
      n.authorizationError = new DtlsError(AlertDescription.handshake_failure, 'the client sent no certificate');
      return new WaitClientKeyExchange(this.suite, this.reader, undefined);
    }
    const verify = this.verifier.verifyChain(chain, { peerRole: 'client', servername: undefined });
    return cx.wait(this)(verify, 'client certificate verification', (result) => {
      n.authorized = result?.authorized ?? true;
      n.authorizationError = result?.authorizationError;
      return new WaitClientKeyExchange(this.suite, this.reader, { verifier: this.verifier, leaf });
    });
  }
}
