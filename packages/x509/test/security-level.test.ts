/** The strengths that OpenSSL's security levels compare, for keys and signature algorithms. */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { describe, expect, it } from 'vitest';
import { keySecurityBits, minimumSecurityBits, RSASSA_PSS, securityLevelOption, signatureAlgorithmName, signatureSecurityBits } from '../src/security-level.js';

function bits(key: KeyObject): number {
  const spki = AsnConvert.parse(key.export({ type: 'spki', format: 'der' }), SubjectPublicKeyInfo);
  return keySecurityBits(key, new Uint8Array(spki.subjectPublicKey));
}

describe('key strength', () => {
  it.each([
    [1024, 80],
    [2048, 112],
    [3072, 128],
  ])('RSA %i bits: %i', (modulusLength, expected) => {
    expect(bits(generateKeyPairSync('rsa', { modulusLength }).publicKey)).toBe(expected);
  });

  it.each([
    ['prime192v1', 80],
    ['secp224r1', 112],
    ['prime256v1', 128],
    ['secp256k1', 128],
    ['secp384r1', 192],
    ['secp521r1', 256],
  ])('EC %s: %i', (namedCurve, expected) => {
    expect(bits(generateKeyPairSync('ec', { namedCurve }).publicKey)).toBe(expected);
  });

  it('Ed25519 128, Ed448 224, DSA 2048/224 112, no key 0', () => {
    expect(bits(generateKeyPairSync('ed25519').publicKey)).toBe(128);
    expect(bits(generateKeyPairSync('ed448').publicKey)).toBe(224);
    expect(bits(generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 224 }).publicKey)).toBe(112);
    expect(keySecurityBits(undefined, new Uint8Array())).toBe(0);
  });
});

describe('signature strength', () => {
  it('by algorithm, RSASSA-PSS by the hash of its parameters (SHA-1 when absent)', () => {
    expect(signatureSecurityBits('1.2.840.113549.1.1.5', undefined)).toBe(63);
    expect(signatureSecurityBits('1.2.840.10045.4.3.2', undefined)).toBe(128);
    expect(signatureSecurityBits('1.3.101.112', undefined)).toBe(128);
    expect(signatureSecurityBits(RSASSA_PSS, '2.16.840.1.101.3.4.2.2')).toBe(192);
    expect(signatureSecurityBits(RSASSA_PSS, undefined)).toBe(63);
    expect(signatureSecurityBits('1.2.3.4', undefined)).toBe(0);
    expect(signatureAlgorithmName('1.2.840.10045.4.1')).toBe('ecdsa-with-SHA1');
    expect(signatureAlgorithmName('1.2.3.4')).toBe('1.2.3.4');
  });
});

describe('levels', () => {
  it('0 to 5 as OpenSSL, 2 by default; anything else is a TypeError', () => {
    expect([0, 1, 2, 3, 4, 5].map(minimumSecurityBits)).toEqual([0, 80, 112, 128, 192, 256]);
    expect(securityLevelOption(undefined)).toBe(2);
    expect(securityLevelOption(0)).toBe(0);
    for (const bad of [-1, 6, 2.5, Number.NaN]) expect(() => securityLevelOption(bad)).toThrow(TypeError);
  });
});
