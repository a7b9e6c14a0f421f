/**
 * Credentials for raw public keys (RFC 7250): our key sent as a bare SubjectPublicKeyInfo, the
 * peer's key checked against pinned keys. node:tls has no raw public keys; the option names
 * follow x509Server/x509Client where they mean the same thing (`key`, `cert`, `ca`, `passphrase`,
 * `requestCert`, `rejectUnauthorized`, `sigalgs`). A peer without RFC 7250 gets X.509 only when
 * `cert` (server) or `ca` (client) is given: the fallback is opt-in, never implied.
 */
import type { RawPublicKeyCredentials, SignatureScheme } from '@dtls-kit/core';
import type { CertificateInput, PrivateKeyInput } from './pem.js';
import { parseCertificates, parsePrivateKey } from './pem.js';
import { createPinnedKeyVerifier, type PublicKeyInput, subjectPublicKeyInfo } from './raw-public-key.js';
import { restrictSchemes } from './sigalgs.js';
import { describeKey, keyExchangeForKey, signatureSchemesForKey, signWithScheme } from './signature.js';
import { createSigner, type X509Signer } from './signer.js';
import { createVerifier } from './verifier.js';
import type { X509ClientCredentials, X509ServerCredentials } from './credentials.js';

/** A signer for a key without a certificate: its chain is empty, the raw key goes in RFC 7250's Certificate. */
function rawKeySigner(key: PrivateKeyInput, passphrase: string | undefined, sigalgs: string | undefined): X509Signer {
  const privateKey = parsePrivateKey(key, passphrase);
  const keyExchange = keyExchangeForKey(privateKey);
  if (keyExchange === undefined) throw new TypeError(`key: a ${describeKey(privateKey)} key can make none of the supported signature schemes`);
  const signatureSchemes: SignatureScheme[] = restrictSchemes(signatureSchemesForKey(privateKey), sigalgs);
  if (signatureSchemes.length === 0) throw new TypeError(`sigalgs: no listed scheme fits a ${describeKey(privateKey)} key`);
  return { chain: [], signatureSchemes, keyExchange, privateKey, sign: (scheme: number, data: Uint8Array): Uint8Array => signWithScheme(privateKey, scheme, data) };
}

function signerFor(key: PrivateKeyInput, cert: CertificateInput | undefined, passphrase: string | undefined, sigalgs: string | undefined): X509Signer {
  return cert === undefined ? rawKeySigner(key, passphrase, sigalgs) : createSigner({ key, cert, passphrase, sigalgs });
}

export interface RpkServerOptions {
  /** Our private key (PEM, DER or KeyObject; ECDSA P-256/P-384/P-521, Ed25519 or RSA): its public half is our raw key. */
  readonly key: PrivateKeyInput;
  readonly passphrase?: string | undefined;
  /** A certificate for the same key, sent to clients that do not take raw keys (X.509 fallback). Without it such clients are refused. */
  readonly cert?: CertificateInput | undefined;
  /** The client keys we accept. With them the server asks for the client's key (requestCert defaults to true). */
  readonly pinnedPublicKeys?: PublicKeyInput | undefined;
  /** CAs for client certificates from clients that do not send raw keys (X.509 fallback for client authentication). */
  readonly ca?: CertificateInput | undefined;
  /** Ask for the client's key or certificate (default: true when pinnedPublicKeys or ca are given). */
  readonly requestCert?: boolean | undefined;
  /** With requestCert: refuse a client that does not authenticate (default true). */
  readonly rejectUnauthorized?: boolean | undefined;
  /** Restricts and orders the signature schemes (node:tls `sigalgs`). */
  readonly sigalgs?: string | undefined;
}

export interface RpkServerCredentials extends X509ServerCredentials {
  readonly rawPublicKey: RawPublicKeyCredentials;
}

/**
 * Server credentials with a raw public key (RFC 7250). Pass them as the server's `x509`
 * credentials. Throws a TypeError for an unreadable key, pinned key or certificate, a cert that
 * is not the key's, or requestCert with rejectUnauthorized and nothing to check clients with.
 */
export function rpkServer(options: RpkServerOptions): RpkServerCredentials {
  const signer = signerFor(options.key, options.cert, options.passphrase, options.sigalgs);
  const pins = options.pinnedPublicKeys === undefined ? undefined : createPinnedKeyVerifier({ pinnedPublicKeys: options.pinnedPublicKeys, rejectUnauthorized: options.rejectUnauthorized, sigalgs: options.sigalgs });
  const verifier =
    options.ca === undefined
      ? undefined
      : createVerifier({ ca: parseCertificates(options.ca, 'ca'), rejectUnauthorized: options.rejectUnauthorized, sigalgs: options.sigalgs });
  const requestCert = options.requestCert ?? (pins !== undefined || verifier !== undefined);
  const rejectUnauthorized = options.rejectUnauthorized ?? true;
  if (requestCert && rejectUnauthorized && pins === undefined && verifier === undefined) {
    throw new TypeError('pinnedPublicKeys: requestCert with rejectUnauthorized needs the client keys to accept (or ca for client certificates)');
  }
  return {
    type: 'x509',
    signer,
    requestCert,
    rejectUnauthorized,
    verifier,
    rawPublicKey: { publicKey: subjectPublicKeyInfo(signer.privateKey), verifier: pins, acceptX509: verifier !== undefined },
  };
}

export interface RpkClientOptions {
  /** The server keys we accept (RFC 7250 6: configured out of band). */
  readonly pinnedPublicKeys: PublicKeyInput;
  /** Our private key, sent as a raw public key when the server asks for client authentication. */
  readonly key?: PrivateKeyInput | undefined;
  readonly passphrase?: string | undefined;
  /** A certificate for `key`, for servers that do not take raw keys from clients. */
  readonly cert?: CertificateInput | undefined;
  /**
   * CAs for servers that do not send raw keys (X.509 fallback). Without it a server that answers
   * with a certificate is refused (unsupported_certificate): pinning is not silently replaced by a CA check.
   */
  readonly ca?: CertificateInput | undefined;
  /** The name the fallback certificate must carry (see x509Client). */
  readonly servername?: string | undefined;
  /** Refuse a server whose key is not pinned (default true). */
  readonly rejectUnauthorized?: boolean | undefined;
  /** Restricts and orders the signature schemes (node:tls `sigalgs`). */
  readonly sigalgs?: string | undefined;
}

export interface RpkClientCredentials extends X509ClientCredentials {
  readonly rawPublicKey: RawPublicKeyCredentials;
}

/** Client credentials with pinned server keys and optionally our own raw key (RFC 7250). Pass them as the client's `x509`. */
export function rpkClient(options: RpkClientOptions): RpkClientCredentials {
  if (options.cert !== undefined && options.key === undefined) throw new TypeError('cert: a client certificate needs its key');
  const signer: X509Signer | undefined = options.key === undefined ? undefined : signerFor(options.key, options.cert, options.passphrase, options.sigalgs);
  const pins = createPinnedKeyVerifier({ pinnedPublicKeys: options.pinnedPublicKeys, rejectUnauthorized: options.rejectUnauthorized, sigalgs: options.sigalgs });
  // Without `ca` X.509 is never accepted (acceptX509 false): the verifier then has no CA at all.
  const verifier = createVerifier({
    ca: options.ca === undefined ? [] : parseCertificates(options.ca, 'ca'),
    rejectUnauthorized: options.rejectUnauthorized,
    servername: options.servername,
    sigalgs: options.sigalgs,
  });
  const ownKey = signer === undefined ? undefined : subjectPublicKeyInfo(signer.privateKey);
  return { type: 'x509', signer, verifier, rawPublicKey: { publicKey: ownKey, verifier: pins, acceptX509: options.ca !== undefined } };
}
