/**
 * OpenSSL's security levels (SSL_CTX_set_security_level(3)), as a policy for the keys and
 * signatures of a certificate path. Level N asks for a minimum "security strength" in bits,
 * an estimate of the work an attacker must do (NIST SP 800-57 Part 1, table 2):
 *
 * | level | bits | RSA, DSA  | ECC | signature hash                     |
 * |-------|------|-----------|-----|------------------------------------|
 * | 0     | 0    | any       | any | any                                |
 * | 1     | 80   | 1024      | 160 | not MD5, not SHA-1                 |
 * | 2     | 112  | 2048      | 224 | SHA-224 or better                  |
 * | 3     | 128  | 3072      | 256 | SHA-256 or better                  |
 * | 4     | 192  | 7680      | 384 | SHA-384 or better                  |
 * | 5     | 256  | 15360     | 512 | SHA-512                            |
 *
 * The strength of a key: RSA and DSA by their modulus (the table's steps; DSA also no more
 * than half its subgroup size), elliptic curves half their size (OpenSSL's ec_security_bits
 * steps), Ed25519/X25519 128, Ed448/X448 224. The strength of a signature is that of its hash
 * against collisions, half its length, with MD5 rated 39 bits and SHA-1 63 (their known
 * chosen-prefix attacks, as OpenSSL rates them), Ed25519 128 and Ed448 224.
 *
 * Level 2 is the default: Debian's OpenSSL configuration sets it (CipherString
 * DEFAULT:@SECLEVEL=2), and it is what `openssl verify -auth_level 2` checks.
 */
import type { KeyObject } from 'node:crypto';

/** The level used when none is given (OpenSSL's on Debian). */
export const DEFAULT_SECURITY_LEVEL = 2;

const MINIMUM_BITS: readonly number[] = [0, 80, 112, 128, 192, 256];

/** Checks a `securityLevel` option: an integer from 0 to 5 (undefined gives the default). Throws a TypeError otherwise. */
export function securityLevelOption(level: number | undefined): number {
  if (level === undefined) return DEFAULT_SECURITY_LEVEL;
  if (!Number.isInteger(level) || level < 0 || level > 5) {
    throw new TypeError(`securityLevel: ${String(level)} is not an OpenSSL security level (an integer from 0 to 5)`);
  }
  return level;
}

/** The strength in bits that keys and signatures need at `level`. */
export function minimumSecurityBits(level: number): number {
  return MINIMUM_BITS[Math.max(0, Math.min(5, level))] ?? 0;
}

/** RSA and DSA by modulus size: the steps of SSL_CTX_set_security_level(3) (SP 800-57). */
function finiteFieldBits(modulusBits: number): number {
  if (modulusBits >= 15360) return 256;
  if (modulusBits >= 7680) return 192;
  if (modulusBits >= 3072) return 128;
  if (modulusBits >= 2048) return 112;
  if (modulusBits >= 1024) return 80;
  return 0;
}

/** An elliptic curve by its size in bits (OpenSSL's ec_security_bits steps). */
function curveBits(sizeBits: number): number {
  if (sizeBits >= 512) return 256;
  if (sizeBits >= 384) return 192;
  if (sizeBits >= 256) return 128;
  if (sizeBits >= 224) return 112;
  if (sizeBits >= 160) return 80;
  return Math.floor(sizeBits / 2);
}

/**
 * The size of a curve from the encoded point of an EC public key (SEC 1 2.3.3): 04 || X || Y,
 * or 02/03 || X; the coordinates are as long as the field. 0 when it is not such a point.
 */
function curveSizeFromPoint(point: Uint8Array): number {
  const first = point[0];
  if (first === 0x04 && point.length % 2 === 1) return ((point.length - 1) / 2) * 8;
  if ((first === 0x02 || first === 0x03) && point.length > 1) return (point.length - 1) * 8;
  return 0;
}

/**
 * The strength of a certificate's public key, in bits. `key` is node's view of it (undefined
 * when node cannot read it: strength 0); `point` is the subjectPublicKey BIT STRING contents,
 * used for elliptic-curve keys (the curve's size whether it is named or explicit).
 */
export function keySecurityBits(key: KeyObject | undefined, point: Uint8Array): number {
  if (key === undefined) return 0;
  const details = key.asymmetricKeyDetails;
  switch (key.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss':
      return finiteFieldBits(details?.modulusLength ?? 0);
    case 'dsa': {
      const modulus = finiteFieldBits(details?.modulusLength ?? 0);
      const subgroup = Math.floor((details?.divisorLength ?? 0) / 2);
      return subgroup < 80 ? 0 : Math.min(modulus, subgroup);
    }
    case 'ec':
      return curveBits(curveSizeFromPoint(point));
    case 'ed25519':
    case 'x25519':
      return 128;
    case 'ed448':
    case 'x448':
      return 224;
    default:
      return 0;
  }
}

// Hash algorithm OIDs (RFC 3279, RFC 5758, NIST CSOR) → collision strength in bits.
const HASH_BITS: ReadonlyMap<string, number> = new Map([
  ['1.2.840.113549.2.2', 0], // md2
  ['1.2.840.113549.2.5', 39], // md5
  ['1.3.14.3.2.26', 63], // sha1
  ['2.16.840.1.101.3.4.2.4', 112], // sha224
  ['2.16.840.1.101.3.4.2.1', 128], // sha256
  ['2.16.840.1.101.3.4.2.2', 192], // sha384
  ['2.16.840.1.101.3.4.2.3', 256], // sha512
  ['2.16.840.1.101.3.4.2.5', 112], // sha512-224
  ['2.16.840.1.101.3.4.2.6', 128], // sha512-256
  ['2.16.840.1.101.3.4.2.7', 112], // sha3-224
  ['2.16.840.1.101.3.4.2.8', 128], // sha3-256
  ['2.16.840.1.101.3.4.2.9', 192], // sha3-384
  ['2.16.840.1.101.3.4.2.10', 256], // sha3-512
]);

// Signature algorithm OIDs (RFC 3279, 4055, 5758, 8410, NIST CSOR) → name and strength in bits.
const SIGNATURES: ReadonlyMap<string, { readonly name: string; readonly bits: number }> = new Map([
  ['1.2.840.113549.1.1.2', { name: 'md2WithRSAEncryption', bits: 0 }],
  ['1.2.840.113549.1.1.4', { name: 'md5WithRSAEncryption', bits: 39 }],
  ['1.2.840.113549.1.1.5', { name: 'sha1WithRSAEncryption', bits: 63 }],
  ['1.2.840.113549.1.1.14', { name: 'sha224WithRSAEncryption', bits: 112 }],
  ['1.2.840.113549.1.1.11', { name: 'sha256WithRSAEncryption', bits: 128 }],
  ['1.2.840.113549.1.1.12', { name: 'sha384WithRSAEncryption', bits: 192 }],
  ['1.2.840.113549.1.1.13', { name: 'sha512WithRSAEncryption', bits: 256 }],
  ['1.2.840.10045.4.1', { name: 'ecdsa-with-SHA1', bits: 63 }],
  ['1.2.840.10045.4.3.1', { name: 'ecdsa-with-SHA224', bits: 112 }],
  ['1.2.840.10045.4.3.2', { name: 'ecdsa-with-SHA256', bits: 128 }],
  ['1.2.840.10045.4.3.3', { name: 'ecdsa-with-SHA384', bits: 192 }],
  ['1.2.840.10045.4.3.4', { name: 'ecdsa-with-SHA512', bits: 256 }],
  ['1.2.840.10040.4.3', { name: 'dsa-with-sha1', bits: 63 }],
  ['2.16.840.1.101.3.4.3.1', { name: 'dsa-with-sha224', bits: 112 }],
  ['2.16.840.1.101.3.4.3.2', { name: 'dsa-with-sha256', bits: 128 }],
  ['2.16.840.1.101.3.4.3.9', { name: 'ecdsa-with-sha3-224', bits: 112 }],
  ['2.16.840.1.101.3.4.3.10', { name: 'ecdsa-with-sha3-256', bits: 128 }],
  ['2.16.840.1.101.3.4.3.11', { name: 'ecdsa-with-sha3-384', bits: 192 }],
  ['2.16.840.1.101.3.4.3.12', { name: 'ecdsa-with-sha3-512', bits: 256 }],
  ['2.16.840.1.101.3.4.3.13', { name: 'rsassa-pkcs1-v1_5-with-sha3-224', bits: 112 }],
  ['2.16.840.1.101.3.4.3.14', { name: 'rsassa-pkcs1-v1_5-with-sha3-256', bits: 128 }],
  ['2.16.840.1.101.3.4.3.15', { name: 'rsassa-pkcs1-v1_5-with-sha3-384', bits: 192 }],
  ['2.16.840.1.101.3.4.3.16', { name: 'rsassa-pkcs1-v1_5-with-sha3-512', bits: 256 }],
  ['1.3.101.112', { name: 'Ed25519', bits: 128 }],
  ['1.3.101.113', { name: 'Ed448', bits: 224 }],
]);

/** RFC 4055 3.1: id-RSASSA-PSS, whose parameters name the hash. */
export const RSASSA_PSS = '1.2.840.113549.1.1.10';

/**
 * The strength of a certificate's signature, in bits: from the algorithm, or for RSASSA-PSS
 * from the hash its parameters name (`pssHash`, SHA-1 when absent: RFC 4055 3.1's default).
 * 0 for an algorithm we do not know, which no level above 0 accepts.
 */
export function signatureSecurityBits(algorithm: string, pssHash: string | undefined): number {
  if (algorithm === RSASSA_PSS) return HASH_BITS.get(pssHash ?? '1.3.14.3.2.26') ?? 0;
  return SIGNATURES.get(algorithm)?.bits ?? 0;
}

/** The usual name of a signature algorithm (`ecdsa-with-SHA256`), or its OID when we do not know it. */
export function signatureAlgorithmName(algorithm: string): string {
  return algorithm === RSASSA_PSS ? 'RSASSA-PSS' : (SIGNATURES.get(algorithm)?.name ?? algorithm);
}
