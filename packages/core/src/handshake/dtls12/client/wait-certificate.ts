import { AlertDescription } from '../../../alert.js';
import { DtlsError } from '../../../errors.js';
import type { CipherSuite } from '../../../suites/cipher-suite.js';
import type { HandshakeMessage } from '../../common/handshake-engine.js';
import { HandshakeType } from '../../handshake-type.js';
import { x509Credentials } from '../../common/x509-credentials.js';
import { peerVerifier, readPeerCertificate } from '../../common/certificate-types.js';
import type { ClientContext, ClientState } from './client-state.js';
import { WaitServerKeyExchange } from './wait-server-key-exchange.js';

/** Certificate suites: the server's chain comes after the ServerHello (RFC 5246 7.3). */
export class WaitCertificate implements ClientState {
  readonly name = 'wait_certificate';

  constructor(private readonly suite: CipherSuite) {}

  handle(m: HandshakeMessage, cx: ClientContext): ClientState {
    if (m.msgType !== HandshakeType.certificate) throw cx.unexpected(m);
    // RFC 5246 7.4.2: the server's chain, checked (possibly asynchronously) before anything it signed is trusted.
    // RFC 7250 3: a bare SubjectPublicKeyInfo when a raw public key was negotiated.
    const n = cx.negotiated;
    const chain = readPeerCertificate(m.body, n.serverCertificateType, n);
    if (chain.length === 0) throw new DtlsError(AlertDescription.handshake_failure, 'server sent an empty certificate chain');
    cx.transcript.add(m.msgType, m.messageSeq, m.body);
    const verifier = peerVerifier(x509Credentials(cx.config), n.serverCertificateType);
    // The type was offered only with its verifier (certificateTypeOffers).
    if (!verifier) throw new DtlsError(AlertDescription.internal_error, 'no verifier for the negotiated server certificate type');
    const verify = verifier.verifyChain(chain, { peerRole: 'server', servername: cx.config.servername });
    return cx.wait(this)(verify, 'server certificate verification', (result) => {
      n.authorized = result?.authorized ?? true;
      n.authorizationError = result?.authorizationError;
      return new WaitServerKeyExchange(this.suite);
    });
  }
}
