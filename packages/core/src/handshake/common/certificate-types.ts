/**
 * Raw public keys (RFC 7250): which certificate type each side sends, negotiated with the
 * client_certificate_type and server_certificate_type extensions, and the Certificate message
 * of the negotiated type. Without the extensions both types stay X.509 (RFC 7250 4.1), so a
 * peer that does not know RFC 7250 gets the handshake it always had: the X.509 fallback.
 */
import { AlertDescription } from '../../alert.js';
import { DtlsError, IllegalParameterError } from '../../errors.js';
import type {
  CertificateClientCredentials,
  CertificateServerCredentials,
  CertificateSigner,
  CertificateVerifier,
  RawPublicKeyCredentials,
} from '../../key-exchange/certificate-credentials.js';
import type { ResolvedClientOptions, ResolvedServerOptions } from '../../options.js';
import {
  CertificateType,
  decodeCertificateTypeChoice,
  decodeCertificateTypeList,
  encodeCertificateTypeChoice,
  encodeCertificateTypeList,
} from '../extensions/certificate-type.js';
import { type Extension, findExtension } from '../extensions/extension.js';
import { ExtensionType } from '../extensions/extension-type.js';
import { decodeCertificate, encodeCertificate } from '../messages/certificate.js';
import { decodeRawPublicKeyCertificate, encodeRawPublicKeyCertificate } from '../messages/raw-public-key-certificate.js';
import type { NegotiatedParameters } from './negotiated-parameters.js';

type Credentials = CertificateClientCredentials | CertificateServerCredentials;

/** The types we can send, in our preference order: a raw key first when we have one. */
function typesWeSend(credentials: Credentials): CertificateType[] {
  const rpk = credentials.rawPublicKey;
  const types: CertificateType[] = [];
  if (rpk?.publicKey !== undefined) types.push(CertificateType.raw_public_key);
  if (rpk === undefined || (credentials.signer !== undefined && credentials.signer.chain.length > 0)) types.push(CertificateType.x509);
  return types;
}

/** The types we accept from the peer, in our preference order (X.509 needs a certificate verifier). */
function typesWeAccept(rpk: RawPublicKeyCredentials, x509Verifier: CertificateVerifier | undefined): CertificateType[] {
  const types: CertificateType[] = [];
  if (rpk.verifier !== undefined) types.push(CertificateType.raw_public_key);
  if (rpk.acceptX509 && x509Verifier !== undefined) types.push(CertificateType.x509);
  return types;
}

/**
 * The client's offers (RFC 7250 4.1), only with raw-key credentials: server_certificate_type
 * when we can check a raw key, client_certificate_type when we have one to send. Only the default
 * X.509 left: the extension is omitted, as RFC 7250 4.1 asks.
 */
export function certificateTypeOffers(config: ResolvedClientOptions): Extension[] {
  const x509 = config.x509;
  const rpk = x509?.rawPublicKey;
  if (x509 === undefined || rpk === undefined) return [];
  const ext: Extension[] = [];
  const send = typesWeSend(x509);
  if (send.includes(CertificateType.raw_public_key)) {
    ext.push({ type: ExtensionType.client_certificate_type, data: encodeCertificateTypeList(send) });
  }
  const accept = typesWeAccept(rpk, x509.verifier);
  if (accept.includes(CertificateType.raw_public_key)) {
    ext.push({ type: ExtensionType.server_certificate_type, data: encodeCertificateTypeList(accept) });
  }
  return ext;
}

/**
 * Our first type that the client offers too. RFC 7250 4.2 leaves the choice to the server, and
 * ours prefers a raw key: gnutls-cli lists X.509 first in both extensions even when it has only
 * a raw key (--rawpkfile), so the client's order would pick a certificate it does not have.
 */
function firstCommon(offered: readonly number[], ours: readonly CertificateType[], which: string): CertificateType {
  const type = ours.find((t) => offered.includes(t));
  // RFC 7250 4.2: supported, but no type in common: a fatal unsupported_certificate.
  if (type === undefined) throw new DtlsError(AlertDescription.unsupported_certificate, `no ${which} certificate type in common with the client (it offers ${offered.join(', ')})`);
  return type;
}

/**
 * The server's answers (RFC 7250 4.2) in a certificate suite, recorded in `n`. Without raw-key
 * credentials the extensions are ignored (case 1 of 4.2: X.509 both ways). client_certificate_type
 * is answered only when we ask for the client's certificate.
 */
export function answerCertificateTypes(
  extensions: readonly Extension[],
  config: ResolvedServerOptions,
  certificates: boolean,
  n: NegotiatedParameters,
): Extension[] {
  const x509 = config.x509;
  const rpk = x509?.rawPublicKey;
  if (!certificates || x509 === undefined || rpk === undefined) return [];
  const ext: Extension[] = [];
  const serverTypes = findExtension(extensions, ExtensionType.server_certificate_type);
  if (serverTypes) {
    n.serverCertificateType = firstCommon(decodeCertificateTypeList(serverTypes.data), typesWeSend(x509), 'server');
    ext.push({ type: ExtensionType.server_certificate_type, data: encodeCertificateTypeChoice(n.serverCertificateType) });
  } else if (x509.signer.chain.length === 0) {
    throw new DtlsError(AlertDescription.unsupported_certificate, 'the client takes only X.509 certificates (no server_certificate_type, RFC 7250), and we have only a raw public key');
  }
  if (!x509.requestCert) return ext;
  const clientTypes = findExtension(extensions, ExtensionType.client_certificate_type);
  if (clientTypes) {
    n.clientCertificateType = firstCommon(decodeCertificateTypeList(clientTypes.data), typesWeAccept(rpk, x509.verifier), 'client');
    ext.push({ type: ExtensionType.client_certificate_type, data: encodeCertificateTypeChoice(n.clientCertificateType) });
  } else if (x509.rejectUnauthorized && !typesWeAccept(rpk, x509.verifier).includes(CertificateType.x509)) {
    // A client certificate is required, the client can send only X.509, and we check only raw keys.
    throw new DtlsError(AlertDescription.unsupported_certificate, 'the client can send only an X.509 certificate (no client_certificate_type, RFC 7250), and we accept only pinned raw public keys');
  }
  return ext;
}

/**
 * The client's check of the server's answers (RFC 7250 4.2), recorded in `n`: a type we offered
 * (the extension itself was offered: checked with every extension). In a certificate suite, a
 * server that answers no server_certificate_type sends X.509, which a client with only pinned
 * raw keys refuses here rather than check it against any CA.
 */
export function acceptCertificateTypes(
  extensions: readonly Extension[],
  offered: readonly Extension[],
  config: ResolvedClientOptions,
  certificates: boolean,
  n: NegotiatedParameters,
): void {
  for (const [extType, key] of [
    [ExtensionType.server_certificate_type, 'serverCertificateType'],
    [ExtensionType.client_certificate_type, 'clientCertificateType'],
  ] as const) {
    const answer = findExtension(extensions, extType);
    const offer = findExtension(offered, extType);
    if (!answer || !offer) continue;
    const chosen = decodeCertificateTypeChoice(answer.data);
    const type = decodeCertificateTypeList(offer.data).find((t): t is CertificateType => t === chosen);
    if (type === undefined) throw new IllegalParameterError(`server chose certificate type ${chosen} in ${ExtensionType[extType]}, which we did not offer`);
    n[key] = type;
  }
  const rpk = config.x509?.rawPublicKey;
  if (certificates && rpk !== undefined && n.serverCertificateType === CertificateType.x509 && !rpk.acceptX509) {
    throw new DtlsError(AlertDescription.unsupported_certificate, 'the server sends an X.509 certificate (it answered no raw public key, RFC 7250), and we accept only pinned raw public keys');
  }
}

/**
 * Our signer when it can authenticate us in the negotiated type: a raw key needs our
 * SubjectPublicKeyInfo, X.509 a certificate (a raw-key signer may have none: its chain is empty,
 * and it must then send an empty Certificate and no CertificateVerify, RFC 5246 7.4.6).
 */
export function ownSigner(credentials: CertificateClientCredentials, type: CertificateType): CertificateSigner | undefined {
  const signer = credentials.signer;
  if (type === CertificateType.raw_public_key) return credentials.rawPublicKey?.publicKey === undefined ? undefined : signer;
  return signer !== undefined && signer.chain.length > 0 ? signer : undefined;
}

/** Our Certificate message body in the negotiated type (RFC 7250 3; RFC 5246 7.4.2): `send` false → an empty certificate_list. */
export function ownCertificateBody(credentials: Credentials, type: CertificateType, send: boolean): Uint8Array {
  if (type === CertificateType.x509) return encodeCertificate({ certificates: send && credentials.signer ? [...credentials.signer.chain] : [] });
  const spki = credentials.rawPublicKey?.publicKey;
  // RFC 7250 3: a raw key Certificate is never empty (<1..2^24-1>); we negotiated the type only with a key.
  if (!send || spki === undefined) throw new DtlsError(AlertDescription.handshake_failure, 'a raw public key was negotiated for us, but our key cannot answer the CertificateRequest');
  return encodeRawPublicKeyCertificate(spki);
}

/**
 * The peer's Certificate in the negotiated type, recorded in `n`: returns what the verifier
 * is given, the certificate_list or `[spki]`.
 */
export function readPeerCertificate(body: Uint8Array, type: CertificateType, n: NegotiatedParameters): readonly Uint8Array[] {
  if (type === CertificateType.x509) {
    const chain = decodeCertificate(body).certificates;
    n.peerCertificates = chain;
    return chain;
  }
  const spki = decodeRawPublicKeyCertificate(body);
  n.peerRawPublicKey = spki;
  return [spki];
}

/** The peer's key as the signature checks take it: the leaf certificate, or the raw key. */
export function peerLeaf(n: NegotiatedParameters): Uint8Array | undefined {
  return n.peerRawPublicKey ?? n.peerCertificates[0];
}

/**
 * Who checks the peer's certificate of the negotiated type: the certificate verifier, or the
 * raw-key verifier (pins). We offered or accepted the type only with the verifier for it.
 */
export function peerVerifier(credentials: Credentials, type: CertificateType): CertificateVerifier | undefined {
  return type === CertificateType.raw_public_key ? credentials.rawPublicKey?.verifier : credentials.verifier;
}
