import { AlertDescription } from '../../alert.js';
import { certificateVerifyContent } from '../../crypto/certificate-verify-content.js';
import { checkTls13CertificateVerifyScheme } from '../../crypto/signature-schemes-13.js';
import { DtlsError } from '../../errors.js';
import type { HandshakeMessage } from '../common/handshake-engine.js';
import { HandshakeType } from '../handshake-type.js';
import { decodeCertificate13 } from '../messages/certificate-13.js';
import { clientCertificate13 } from './client-certificate-13.js';
import { decodeCertificateRequest13 } from '../messages/certificate-request-13.js';
import { decodeCertificateVerify13 } from '../messages/certificate-verify-13.js';
import type { ClientContext, ClientState } from '../dtls12/client/client-state.js';
import type { Dtls13ClientSecrets } from './client-handshake-secrets.js';
import { type ClientAuthentication13, WaitServerFinished13 } from './client-wait-finished.js';


/** Certificate authentication (RFC 8446 4.4): [CertificateRequest], then the server's Certificate. */
export class WaitCertificateOrRequest implements ClientState {
  readonly name = 'wait_certificate_or_request';

  constructor(
    private readonly secrets: Dtls13ClientSecrets,
    private readonly clientAuthentication: ClientAuthentication13 | undefined = undefined,
  ) {}

  handle(m: HandshakeMessage, cx: ClientContext): ClientState {
    if (m.msgType === HandshakeType.certificate_request && this.clientAuthentication === undefined) {
      const request = decodeCertificateRequest13(m.body);
      this.secrets.transcript.add(m.msgType, m.body);
      // RFC 8446 4.4.2/4.4.3: our certificate and CertificateVerify when we have one the server can take, an empty Certificate otherwise.
      return new WaitCertificateOrRequest(this.secrets, clientCertificate13(request, cx.config.x509?.signer));
    }
    if (m.msgType !== HandshakeType.certificate) throw cx.unexpected(m);
    const certificate = decodeCertificate13(m.body);
    // RFC 8446 4.4.2: the server's certificate_request_context is empty.
    if (certificate.context.length !== 0) throw new DtlsError(AlertDescription.illegal_parameter, 'the server Certificate has a non-empty certificate_request_context');
    const chain = certificate.entries.map((e) => e.data);
    // RFC 8446 4.4.2.4: "If the server supplies an empty Certificate message, the client MUST abort the handshake with a "decode_error" alert."
    if (chain.length === 0) throw new DtlsError(AlertDescription.decode_error, 'server sent an empty certificate chain');
    this.secrets.transcript.add(m.msgType, m.body);
    const verifier = cx.config.x509?.verifier;
    if (verifier === undefined) throw new DtlsError(AlertDescription.internal_error, 'no certificate verifier');
    const n = cx.negotiated;
    n.peerCertificates = chain;
    const verify = verifier.verifyChain(chain, { peerRole: 'server', servername: cx.config.servername });
    return cx.wait(this)(verify, 'server certificate verification', (result) => {
      n.authorized = result?.authorized ?? true;
      n.authorizationError = result?.authorizationError;
      return new WaitCertificateVerify13(this.secrets, chain, this.clientAuthentication);
    });
  }
}

/** RFC 8446 4.4.3: the server signs the transcript up to its Certificate with the leaf's key. */
export class WaitCertificateVerify13 implements ClientState {
  readonly name = 'wait_certificate_verify';

  constructor(
    private readonly secrets: Dtls13ClientSecrets,
    private readonly chain: readonly Uint8Array[],
    private readonly clientAuthentication: ClientAuthentication13 | undefined,
  ) {}

  handle(m: HandshakeMessage, cx: ClientContext): ClientState {
    if (m.msgType !== HandshakeType.certificate_verify) throw cx.unexpected(m);
    const verifier = cx.config.x509?.verifier;
    const leaf = this.chain[0];
    if (verifier === undefined || leaf === undefined) throw new DtlsError(AlertDescription.internal_error, 'no certificate verifier');
    const cv = decodeCertificateVerify13(m.body);
    // RFC 8446 4.4.3: a scheme we offered in signature_algorithms, and one allowed in TLS 1.3.
    checkTls13CertificateVerifyScheme(cv.scheme, verifier.signatureSchemes);
    const { transcript, suite, kdf } = this.secrets;
    const content = certificateVerifyContent('server', transcript.hash(kdf.provider, suite.hash));
    transcript.add(m.msgType, m.body);
    const verified = verifier.verifySignature(leaf, cv.scheme, content, cv.signature);
    return cx.wait(this)(verified, 'server CertificateVerify', (ok) => {
      // RFC 8446 4.4.3: "If the verification fails, the receiver MUST terminate the handshake with a "decrypt_error" alert."
      if (!ok) throw new DtlsError(AlertDescription.decrypt_error, 'the server CertificateVerify signature does not verify');
      return new WaitServerFinished13(this.secrets, this.clientAuthentication);
    });
  }
}
