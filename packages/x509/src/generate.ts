/**
 * Making a CA and certificates signed by it, as PEM, for tests, examples and development
 * (not a CA product: no revocation, no policies). Built with @peculiar/x509 on node's WebCrypto.
 *
 * @peculiar/x509 needs a Reflect metadata polyfill (through tsyringe). To keep importing
 * this package free of global side effects it is loaded, with `reflect-metadata`, on the first
 * call of these (asynchronous) functions only.
 */
import { KeyObject, randomBytes, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import type * as X509 from '@peculiar/x509';
import { parsePrivateKey } from './pem.js';

/** Key types the helpers make. */
export type GeneratedKeyType = 'ecdsa-p256' | 'ecdsa-p384' | 'rsa-2048' | 'ed25519';

/** A certificate and its private key, PEM (the key as unencrypted PKCS#8). */
export interface GeneratedCertificate {
  readonly cert: string;
  readonly key: string;
}

export interface CreateCAOptions {
  readonly commonName: string;
  /** Default 'ecdsa-p256'. */
  readonly keyType?: GeneratedKeyType | undefined;
  /** Validity in days from now (default 3650); ignored where notAfter is given. */
  readonly days?: number | undefined;
  readonly notBefore?: Date | undefined;
  readonly notAfter?: Date | undefined;
  /** Sign with this CA to make an intermediate CA; self-signed (a root) when absent. */
  readonly issuer?: GeneratedCertificate | undefined;
  /** basicConstraints pathLenConstraint (RFC 5280 4.2.1.9); none when absent. */
  readonly pathLength?: number | undefined;
}

export interface CreateCertificateOptions {
  /** The issuing CA (made by createCA, or any PEM CA certificate and key, e.g. from openssl). */
  readonly ca: GeneratedCertificate;
  readonly commonName: string;
  /**
   * DNS names and IP addresses for subjectAltName (each string is an IP address when it parses
   * as one). Default: the common name for a server certificate, none for a client one.
   */
  readonly subjectAltNames?: readonly string[] | undefined;
  /** extKeyUsage: serverAuth, clientAuth, or both. */
  readonly usage: 'server' | 'client' | 'both';
  /** Default 'ecdsa-p256'. */
  readonly keyType?: GeneratedKeyType | undefined;
  /** Validity in days from now (default 365); ignored where notAfter is given. */
  readonly days?: number | undefined;
  readonly notBefore?: Date | undefined;
  readonly notAfter?: Date | undefined;
}

type Peculiar = typeof X509;
let loaded: Promise<Peculiar> | undefined;

async function loadPeculiar(): Promise<Peculiar> {
  if (!('getMetadata' in Reflect)) await import('reflect-metadata');
  const x509: Peculiar = await import('@peculiar/x509');
  // Only where no provider was chosen before (in Node >= 19 it finds globalThis.crypto itself).
  if (!x509.cryptoProvider.has('default')) x509.cryptoProvider.set(webcrypto);
  return x509;
}

function peculiar(): Promise<Peculiar> {
  loaded ??= loadPeculiar();
  return loaded;
}

interface Algorithms {
  readonly generate: webcrypto.EcKeyGenParams | webcrypto.RsaHashedKeyGenParams | webcrypto.Algorithm;
  readonly sign: webcrypto.EcdsaParams | webcrypto.Algorithm;
}

const ALGORITHMS: Readonly<Record<GeneratedKeyType, Algorithms>> = {
  'ecdsa-p256': { generate: { name: 'ECDSA', namedCurve: 'P-256' }, sign: { name: 'ECDSA', hash: 'SHA-256' } },
  'ecdsa-p384': { generate: { name: 'ECDSA', namedCurve: 'P-384' }, sign: { name: 'ECDSA', hash: 'SHA-384' } },
  'rsa-2048': {
    generate: { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    sign: { name: 'RSASSA-PKCS1-v1_5' },
  },
  ed25519: { generate: { name: 'Ed25519' }, sign: { name: 'Ed25519' } },
};

const NODE_CURVES: Readonly<Record<string, { curve: string; hash: string }>> = {
  prime256v1: { curve: 'P-256', hash: 'SHA-256' },
  secp384r1: { curve: 'P-384', hash: 'SHA-384' },
  secp521r1: { curve: 'P-521', hash: 'SHA-512' },
};

async function generateKeyPair(type: GeneratedKeyType): Promise<webcrypto.CryptoKeyPair> {
  const pair = await webcrypto.subtle.generateKey(ALGORITHMS[type].generate, true, ['sign', 'verify']);
  if (!('privateKey' in pair)) throw new TypeError(`${type} did not give a key pair`);
  return pair;
}

/** The issuing key as a WebCrypto signing key, with the algorithm to sign certificates with. */
async function signingKey(pem: string): Promise<{ key: webcrypto.CryptoKey; algorithm: webcrypto.EcdsaParams | webcrypto.Algorithm }> {
  const keyObject = parsePrivateKey(pem);
  const pkcs8 = keyObject.export({ type: 'pkcs8', format: 'der' });
  switch (keyObject.asymmetricKeyType) {
    case 'ec': {
      const curve = NODE_CURVES[keyObject.asymmetricKeyDetails?.namedCurve ?? ''];
      if (curve === undefined) throw new TypeError(`ca.key: unsupported curve ${keyObject.asymmetricKeyDetails?.namedCurve ?? '?'}`);
      const key = await webcrypto.subtle.importKey('pkcs8', pkcs8, { name: 'ECDSA', namedCurve: curve.curve }, false, ['sign']);
      return { key, algorithm: { name: 'ECDSA', hash: curve.hash } };
    }
    case 'rsa': {
      const key = await webcrypto.subtle.importKey('pkcs8', pkcs8, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
      return { key, algorithm: { name: 'RSASSA-PKCS1-v1_5' } };
    }
    case 'ed25519': {
      const key = await webcrypto.subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, false, ['sign']);
      return { key, algorithm: { name: 'Ed25519' } };
    }
    default:
      throw new TypeError(`ca.key: unsupported key type ${keyObject.asymmetricKeyType ?? '?'}`);
  }
}

/** A positive, non-zero 16-byte serial number (RFC 5280 4.1.2.2: at most 20 octets). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01;
  return bytes.toString('hex');
}

function validity(options: { days?: number | undefined; notBefore?: Date | undefined; notAfter?: Date | undefined }, defaultDays: number): { notBefore: Date; notAfter: Date } {
  // A minute in the past, so that a peer whose clock is a little behind accepts it at once.
  const notBefore = options.notBefore ?? new Date(Date.now() - 60_000);
  const notAfter = options.notAfter ?? new Date(Date.now() + (options.days ?? defaultDays) * 86_400_000);
  return { notBefore, notAfter };
}

function pkcs8Pem(key: webcrypto.CryptoKey): string {
  const pem = KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' });
  return typeof pem === 'string' ? pem : pem.toString('utf8');
}

interface IssueParams {
  readonly x509: Peculiar;
  readonly subject: string;
  readonly keys: webcrypto.CryptoKeyPair;
  readonly issuer: GeneratedCertificate | undefined;
  readonly dates: { notBefore: Date; notAfter: Date };
  readonly extensions: X509.Extension[];
}

/** Signs a certificate for `keys` by `issuer` (or by itself), adding SKI and AKI (RFC 5280 4.2.1.1/4.2.1.2). */
async function issue(params: IssueParams): Promise<string> {
  const { x509, keys, issuer } = params;
  const subjectName = new x509.Name([{ CN: [params.subject] }]);
  const ski = await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, webcrypto);
  const extensions = [...params.extensions, ski];
  let cert: X509.X509Certificate;
  if (issuer === undefined) {
    extensions.push(new x509.AuthorityKeyIdentifierExtension(ski.keyId));
    const signer = await signingKey(pkcs8Pem(keys.privateKey));
    cert = await x509.X509CertificateGenerator.create(
      {
        serialNumber: serialNumber(),
        subject: subjectName,
        issuer: subjectName,
        ...params.dates,
        publicKey: keys.publicKey,
        signingKey: signer.key,
        signingAlgorithm: signer.algorithm,
        extensions,
      },
      webcrypto,
    );
  } else {
    const issuerCert = new x509.X509Certificate(issuer.cert);
    const issuerSki = issuerCert.getExtension(x509.SubjectKeyIdentifierExtension);
    extensions.push(
      issuerSki === null
        ? await x509.AuthorityKeyIdentifierExtension.create(issuerCert, false, webcrypto)
        : new x509.AuthorityKeyIdentifierExtension(issuerSki.keyId),
    );
    const signer = await signingKey(issuer.key);
    cert = await x509.X509CertificateGenerator.create(
      {
        serialNumber: serialNumber(),
        subject: subjectName,
        issuer: issuerCert.subjectName,
        ...params.dates,
        publicKey: keys.publicKey,
        signingKey: signer.key,
        signingAlgorithm: signer.algorithm,
        extensions,
      },
      webcrypto,
    );
  }
  return cert.toString('pem');
}

/**
 * A CA certificate and key: self-signed (a root) or, with `issuer`, an intermediate. It has
 * basicConstraints cA (critical) and keyUsage keyCertSign, cRLSign (critical).
 */
export async function createCA(options: CreateCAOptions): Promise<GeneratedCertificate> {
  const x509 = await peculiar();
  const keyType = options.keyType ?? 'ecdsa-p256';
  const keys = await generateKeyPair(keyType);
  const cert = await issue({
    x509,
    subject: options.commonName,
    keys,
    issuer: options.issuer,
    dates: validity(options, 3650),
    extensions: [
      new x509.BasicConstraintsExtension(true, options.pathLength, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  return { cert, key: pkcs8Pem(keys.privateKey) };
}

/**
 * A server or client (end-entity) certificate signed by `ca`: basicConstraints cA false,
 * keyUsage digitalSignature (plus keyEncipherment for RSA, as OpenSSL makes them),
 * extKeyUsage serverAuth and/or clientAuth, subjectAltName.
 */
export async function createCertificate(options: CreateCertificateOptions): Promise<GeneratedCertificate> {
  const x509 = await peculiar();
  const keyType = options.keyType ?? 'ecdsa-p256';
  const keys = await generateKeyPair(keyType);
  const names = options.subjectAltNames ?? (options.usage === 'client' ? [] : [options.commonName]);
  const usages = {
    server: [x509.ExtendedKeyUsage.serverAuth],
    client: [x509.ExtendedKeyUsage.clientAuth],
    both: [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
  }[options.usage];
  const keyUsage = keyType === 'rsa-2048' ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment : x509.KeyUsageFlags.digitalSignature;
  const extensions: X509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(keyUsage, true),
    new x509.ExtendedKeyUsageExtension(usages, false),
  ];
  if (names.length > 0) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension(
        names.map((value) => ({ type: isIP(value) === 0 ? ('dns' as const) : ('ip' as const), value })),
        false,
      ),
    );
  }
  const cert = await issue({ x509, subject: options.commonName, keys, issuer: options.ca, dates: validity(options, 365), extensions });
  return { cert, key: pkcs8Pem(keys.privateKey) };
}
