import { AlertDescription } from '../../../alert.js';
import { DtlsError, IllegalParameterError } from '../../../errors.js';
import type { CertificateVerifier } from '../../../key-exchange/certificate-credentials.js';
import type { CipherSuite } from '../../../suites/cipher-suite.js';
import type { HandshakeMessage } from '../../common/handshake-engine.js';
import { HandshakeType } from '../../handshake-type.js';
import { decodeCertificateVerify } from '../../messages/certificate-verify.js';
import type { SessionKeys } from '../session-keys.js';
import type { ServerContext, ServerState } from './server-state.js';
import { WaitFinished } from './wait-finished.js';

/** The client sent a certificate: its CertificateVerify proves it holds the key (RFC 5246 7.4.8). */
export class WaitCertificateVerify implements ServerState {
  readonly name = 'wait_certificate_verify';

  constructor(
    private readonly suite: CipherSuite,
    private readonly keys: SessionKeys,
    private readonly verifier: CertificateVerifier,
    private readonly leaf: Uint8Array,
  ) {}

  /** RFC 5246 7.4.8: the client signs the transcript so far with its certificate's key. */
  handle(m: HandshakeMessage, cx: ServerContext): ServerState {
    if (m.msgType !== HandshakeType.certificate_verify) throw cx.unexpected(m);
    const signed = decodeCertificateVerify(m.body);
    if (!this.verifier.signatureSchemes.includes(signed.scheme)) {
      throw new IllegalParameterError(`client signed with scheme 0x${signed.scheme.toString(16)}, which we did not ask for`);
    }
    const content = cx.transcript.bytes();
    cx.transcript.add(m.msgType, m.messageSeq, m.body);
    return cx.wait(this)(this.verifier.verifySignature(this.leaf, signed.scheme, content, signed.signature), 'CertificateVerify check', (ok) => {
      if (!ok) throw new DtlsError(AlertDescription.decrypt_error, 'the client CertificateVerify signature does not verify');
      return new WaitFinished(this.suite, this.keys);
    });
  }
}
