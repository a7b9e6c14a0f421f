/**
 * Our side of certificate authentication: the chain we send (RFC 5246 7.4.2) and the private
 * key that signs ServerKeyExchange (RFC 8422 5.4) or CertificateVerify (RFC 5246 7.4.8).
 */
import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { CertificateSigner, SignatureScheme } from '@dtls-kit/core';
import { parseCertificates, parsePrivateKey, type CertificateInput, type PrivateKeyInput } from './pem.js';
import { restrictSchemes } from './sigalgs.js';
import { describeKey, keyExchangeForKey, signatureSchemesForKey, signWithScheme } from './signature.js';

export interface X509SignerOptions {
  /** Private key (node:tls `key`). */
  readonly key: PrivateKeyInput;
  /** Our certificate, optionally followed by its intermediates (node:tls `cert`), leaf first. */
  readonly cert: CertificateInput;
  /** Decrypts an encrypted private key (node:tls `passphrase`). */
  readonly passphrase?: string | undefined;
  /** Restricts and orders the schemes we sign with (node:tls `sigalgs`, colon-separated names). */
  readonly sigalgs?: string | undefined;
}

/** A CertificateSigner that also tells which key it holds. */
export interface X509Signer extends CertificateSigner {
  readonly privateKey: KeyObject;
}

function spki(key: KeyObject): Buffer {
  return (key.type === 'public' ? key : createPublicKey(key)).export({ type: 'spki', format: 'der' });
}

/**
 * Builds a signer from a key and a certificate chain. Throws a TypeError when the key is not
 * the leaf certificate's, or is of a kind no supported signature scheme can use.
 */
export function createSigner(options: X509SignerOptions): X509Signer {
  const privateKey = parsePrivateKey(options.key, options.passphrase);
  const chain = parseCertificates(options.cert, 'cert');
  const leaf = chain[0];
  if (leaf === undefined) throw new TypeError('cert: no certificate given');
  if (!spki(privateKey).equals(spki(new X509Certificate(leaf).publicKey))) {
    throw new TypeError('key: the private key does not belong to the first certificate of cert');
  }
  const keyExchange = keyExchangeForKey(privateKey);
  if (keyExchange === undefined) {
    throw new TypeError(`key: a ${describeKey(privateKey)} key can make none of the supported signature schemes`);
  }
  const signatureSchemes: SignatureScheme[] = restrictSchemes(signatureSchemesForKey(privateKey), options.sigalgs);
  if (signatureSchemes.length === 0) throw new TypeError(`sigalgs: no listed scheme fits a ${describeKey(privateKey)} key`);
  return {
    chain,
    signatureSchemes,
    keyExchange,
    privateKey,
    sign: (scheme: number, data: Uint8Array): Uint8Array => signWithScheme(privateKey, scheme, data),
  };
}
