import { AlertDescription } from '../../alert.js';
import { bytesEqual } from '../../bytes.js';
import { certificateVerifyContent } from '../../crypto/certificate-verify-content.js';
import type { LabelledHkdf } from '../../crypto/hkdf-label.js';
import { checkTls13CertificateVerifyScheme, isTls13CertificateVerifyScheme } from '../../crypto/signature-schemes-13.js';
import type { Transcript13 } from '../../crypto/transcript-13.js';
import { DtlsError, IllegalParameterError } from '../../errors.js';
import { HandshakeType } from '../handshake-type.js';
import { decodeCertificate13 } from '../messages/certificate-13.js';
import { decodeCertificateVerify13 } from '../messages/certificate-verify-13.js';

/** The CertificateRequest's certificate_request_context: empty in the handshake (RFC 8446 4.3.2). */
export const HANDSHAKE_REQUEST_CONTEXT = new Uint8Array(0);

/** The schemes our CertificateRequest lists (RFC 8446 4.3.2): the verifier's, those TLS 1.3 allows in a CertificateVerify. */
export function requestedClientSchemes13(verifierSchemes: readonly number[]): number[] {
  return verifierSchemes.filter(isTls13CertificateVerifyScheme);
}

/**
 * The client's Certificate after our CertificateRequest (RFC 8446 4.4.2), added to the transcript:
 * its chain, leaf first, possibly empty. "certificate_request_context ... the value of the
 * certificate_request_context in the CertificateRequest": anything else is illegal_parameter. An
 * empty chain when we require one: RFC 8446 4.4.2.4 "abort the handshake with a
 * "certificate_required" alert".
 */
export function readClientCertificate13(transcript: Transcript13, body: Uint8Array, required: boolean): Uint8Array[] {
  const message = decodeCertificate13(body);
  if (!bytesEqual(message.context, HANDSHAKE_REQUEST_CONTEXT)) {
    throw new IllegalParameterError('client Certificate: certificate_request_context differs from our CertificateRequest');
  }
  const chain = message.entries.map((e) => e.data);
  if (chain.length === 0 && required) throw new DtlsError(AlertDescription.certificate_required, 'a client certificate is required and none was sent');
  transcript.add(HandshakeType.certificate, body);
  return chain;
}

/** What a client CertificateVerify asks the verifier to check. */
export interface ClientSignature13 {
  readonly scheme: number;
  readonly content: Uint8Array;
  readonly signature: Uint8Array;
}

/**
 * The client's CertificateVerify (RFC 8446 4.4.3): a scheme we listed and TLS 1.3 allows
 * (illegal_parameter otherwise), over "TLS 1.3, client CertificateVerify" and the transcript
 * through its Certificate. Adds the message to the transcript; the caller verifies the signature
 * (decrypt_error when it does not hold, RFC 8446 4.4.3).
 */
export function readClientCertificateVerify13(kdf: LabelledHkdf, transcript: Transcript13, body: Uint8Array, requested: readonly number[]): ClientSignature13 {
  const cv = decodeCertificateVerify13(body);
  checkTls13CertificateVerifyScheme(cv.scheme, requested);
  const content = certificateVerifyContent('client', transcript.hash(kdf.provider, kdf.hash));
  transcript.add(HandshakeType.certificate_verify, body);
  return { scheme: cv.scheme, content, signature: cv.signature };
}
