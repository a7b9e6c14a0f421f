import { AlertDescription } from '../../alert.js';
import { certificateVerifyContent } from '../../crypto/certificate-verify-content.js';
import { isTls13CertificateVerifyScheme } from '../../crypto/signature-schemes-13.js';
import { DtlsError } from '../../errors.js';
import type { CertificateSigner } from '../../key-exchange/certificate-credentials.js';
import type { FlightMessage } from '../common/flight.js';
import { findExtension } from '../extensions/extension.js';
import { ExtensionType } from '../extensions/extension-type.js';
import { decodeSignatureAlgorithms } from '../extensions/signature-algorithms.js';
import { HandshakeType } from '../handshake-type.js';
import { encodeCertificate13 } from '../messages/certificate-13.js';
import type { CertificateRequest13 } from '../messages/certificate-request-13.js';
import { encodeCertificateVerify13 } from '../messages/certificate-verify-13.js';
import type { ClientAuthentication13 } from './client-wait-finished.js';

/**
 * RFC 8446 4.3.2: the schemes a CertificateRequest accepts. "The "signature_algorithms"
 * extension MUST be specified": without it, missing_extension (6.2).
 */
export function requestedSchemes13(request: CertificateRequest13): readonly number[] {
  const ext = findExtension(request.extensions, ExtensionType.signature_algorithms);
  if (ext === undefined) throw new DtlsError(AlertDescription.missing_extension, 'CertificateRequest without signature_algorithms (RFC 8446 4.3.2)');
  return decodeSignatureAlgorithms(ext.data);
}

/**
 * Our answer to a CertificateRequest (RFC 8446 4.4.2, 4.4.3), made once the server's Finished is
 * in: with a certificate whose key signs a scheme the server listed (and TLS 1.3 allows: no
 * PKCS#1 v1.5, no SHA-1), our chain in a Certificate echoing the request's context, then a
 * CertificateVerify signed over "TLS 1.3, client CertificateVerify" and the transcript through
 * that Certificate (the signer may answer through a Promise); otherwise an empty Certificate
 * and no CertificateVerify ("If the client does not send any certificates ... the client MUST
 * send a Certificate message containing no certificates"), and the server decides.
 */
export function clientCertificate13(request: CertificateRequest13, signer: CertificateSigner | undefined): ClientAuthentication13 {
  const offered = requestedSchemes13(request);
  const scheme = signer?.signatureSchemes.find((s) => isTls13CertificateVerifyScheme(s) && offered.includes(s));
  return (cx, secrets) => {
    const entries = signer === undefined || scheme === undefined ? [] : signer.chain.map((data) => ({ data, extensions: [] }));
    const certificate = encodeCertificate13({ context: request.context, entries });
    const { transcript, kdf, suite } = secrets;
    transcript.add(HandshakeType.certificate, certificate);
    const messages: FlightMessage[] = [cx.message(HandshakeType.certificate, certificate)];
    if (signer === undefined || scheme === undefined) return messages;
    const signature = signer.sign(scheme, certificateVerifyContent('client', transcript.hash(kdf.provider, suite.hash)));
    const withVerify = (sig: Uint8Array): FlightMessage[] => {
      const body = encodeCertificateVerify13({ scheme, signature: sig });
      transcript.add(HandshakeType.certificate_verify, body);
      return [...messages, cx.message(HandshakeType.certificate_verify, body)];
    };
    return signature instanceof Promise ? signature.then(withVerify) : withVerify(signature);
  };
}
