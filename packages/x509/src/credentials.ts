/**
 * Credentials for the engine's certificate suites, built from options named as node:tls names
 * them (`key`, `cert`, `ca`, `passphrase`, `requestCert`, `rejectUnauthorized`, `servername`,
 * `checkServerIdentity`, `sigalgs`).
 */
import { rootCertificates } from 'node:tls';
import type { CertificateClientCredentials, CertificateServerCredentials } from '@dtls-kit/core';
import type { CheckServerIdentity } from './chain.js';
import { parseCertificates, type CertificateInput, type PrivateKeyInput } from './pem.js';
import { createSigner, type X509Signer } from './signer.js';
import { TrustStore } from './trust-store.js';
import { createVerifier, type X509Verifier } from './verifier.js';

let bundledRoots: TrustStore | undefined;

/** node's bundled root CAs (`tls.rootCertificates`), decoded once, on first use. */
function bundledRootStore(): TrustStore {
  bundledRoots ??= new TrustStore(parseCertificates(rootCertificates, 'tls.rootCertificates'));
  return bundledRoots;
}

export interface X509ServerOptions {
  /** Our private key: PEM or DER (PKCS#8, SEC1, PKCS#1) or a KeyObject. */
  readonly key: PrivateKeyInput;
  /** Our certificate, then its intermediates (one PEM with the chain, or a list). */
  readonly cert: CertificateInput;
  /** Decrypts an encrypted key. */
  readonly passphrase?: string | undefined;
  /** CAs whose client certificates we accept; their names go in the CertificateRequest. */
  readonly ca?: CertificateInput | undefined;
  /** Ask the client for a certificate (default false). */
  readonly requestCert?: boolean | undefined;
  /**
   * With requestCert: refuse a client without a valid certificate (default true). When false, a
   * client with no certificate or an invalid one is let in and the verifier's result says why
   * it is not authorized; a certificate's CertificateVerify is still checked.
   */
  readonly rejectUnauthorized?: boolean | undefined;
  /** Restricts and orders the signature schemes (node:tls `sigalgs`). */
  readonly sigalgs?: string | undefined;
  /**
   * OpenSSL security level (0 to 5, default 2) for client certificate chains: every key,
   * the trust anchor's included, and every signature hash (level 2: RSA >= 2048 bits, ECC >= 224,
   * no MD5 or SHA-1). OpenSSL's SSL_CTX_set_security_level (`@SECLEVEL=N` in a node:tls `ciphers` string).
   */
  readonly securityLevel?: number | undefined;
}

export interface X509ServerCredentials extends CertificateServerCredentials {
  readonly signer: X509Signer;
  readonly verifier: X509Verifier | undefined;
}

/**
 * Credentials for a DTLS server with a certificate. Throws a TypeError for unreadable keys or
 * certificates, a key that does not match the certificate, or requestCert with
 * rejectUnauthorized but no `ca` to check clients against.
 */
export function x509Server(options: X509ServerOptions): X509ServerCredentials {
  const signer = createSigner(options);
  const requestCert = options.requestCert ?? false;
  const rejectUnauthorized = options.rejectUnauthorized ?? true;
  if (requestCert && rejectUnauthorized && options.ca === undefined) {
    throw new TypeError('ca: requestCert with rejectUnauthorized needs the CA certificates that client certificates must chain to');
  }
  const verifier =
    requestCert || options.ca !== undefined
      ? createVerifier({
          ca: options.ca === undefined ? [] : parseCertificates(options.ca, 'ca'),
          rejectUnauthorized,
          sigalgs: options.sigalgs,
          securityLevel: options.securityLevel,
        })
      : undefined;
  return { type: 'x509', signer, requestCert, rejectUnauthorized, verifier };
}

export interface X509ClientOptions {
  /** CAs the server's chain must lead to (default: node's bundled roots, `tls.rootCertificates`). */
  readonly ca?: CertificateInput | undefined;
  /** Our key and certificate, sent when the server asks for one. Both or neither. */
  readonly key?: PrivateKeyInput | undefined;
  readonly cert?: CertificateInput | undefined;
  readonly passphrase?: string | undefined;
  /** Refuse a server whose chain or name does not validate (default true). */
  readonly rejectUnauthorized?: boolean | undefined;
  /**
   * The name the server's certificate must carry, when the engine's context has none (the
   * engine passes the `servername` of the connection; this is the fallback). Without any name
   * the certificate's names are not checked, only its chain.
   */
  readonly servername?: string | undefined;
  /** Replaces the default name check; see `checkServerIdentity` of this package. */
  readonly checkServerIdentity?: CheckServerIdentity | undefined;
  /** Restricts and orders the signature schemes (node:tls `sigalgs`). */
  readonly sigalgs?: string | undefined;
  /**
   * OpenSSL security level (0 to 5, default 2) for the server's chain: every key, the trust
   * anchor's included, and every signature hash (level 2: RSA >= 2048 bits, ECC >= 224, no MD5
   * or SHA-1). OpenSSL's SSL_CTX_set_security_level (`@SECLEVEL=N` in a node:tls `ciphers` string).
   */
  readonly securityLevel?: number | undefined;
}

export interface X509ClientCredentials extends CertificateClientCredentials {
  readonly signer: X509Signer | undefined;
  readonly verifier: X509Verifier;
}

/** Credentials for a DTLS client that checks the server's certificate. */
export function x509Client(options: X509ClientOptions = {}): X509ClientCredentials {
  if ((options.key === undefined) !== (options.cert === undefined)) {
    throw new TypeError('key and cert: give both for a client certificate, or neither');
  }
  const signer =
    options.key !== undefined && options.cert !== undefined
      ? createSigner({ key: options.key, cert: options.cert, passphrase: options.passphrase, sigalgs: options.sigalgs })
      : undefined;
  const verifier = createVerifier({
    ca: options.ca === undefined ? bundledRootStore() : parseCertificates(options.ca, 'ca'),
    rejectUnauthorized: options.rejectUnauthorized,
    servername: options.servername,
    checkServerIdentity: options.checkServerIdentity,
    sigalgs: options.sigalgs,
    securityLevel: options.securityLevel,
  });
  return { type: 'x509', signer, verifier };
}
