import { constants, createPublicKey, randomBytes, sign as nodeSign, type KeyObject } from 'node:crypto';
import { AlertDescription, DtlsError, SignatureScheme } from '@dtls-kit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyExchangeForKey, parsePrivateKey, signatureSchemesForKey, signWithScheme, verifyWithScheme } from '../src/index.js';
import { Scratch } from './openssl.js';

// Each scheme against OpenSSL's own signing and verification (`openssl dgst`, `openssl pkeyutl`).
const scratch = new Scratch();
afterAll(() => scratch.remove());

type KeyName = 'p256' | 'p384' | 'p521' | 'rsa' | 'ed25519';

interface Case {
  readonly scheme: SignatureScheme;
  readonly key: KeyName;
  readonly hash: string;
  /** openssl -sigopt for the padding of RSA schemes. */
  readonly sigopts: readonly string[];
}

const PSS = ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:digest', '-sigopt', 'rsa_mgf1_md:'];

const CASES: readonly Case[] = [
  { scheme: SignatureScheme.ecdsa_secp256r1_sha256, key: 'p256', hash: 'sha256', sigopts: [] },
  { scheme: SignatureScheme.ecdsa_secp384r1_sha384, key: 'p384', hash: 'sha384', sigopts: [] },
  { scheme: SignatureScheme.ecdsa_secp521r1_sha512, key: 'p521', hash: 'sha512', sigopts: [] },
  { scheme: SignatureScheme.rsa_pss_rsae_sha256, key: 'rsa', hash: 'sha256', sigopts: PSS },
  { scheme: SignatureScheme.rsa_pss_rsae_sha384, key: 'rsa', hash: 'sha384', sigopts: PSS },
  { scheme: SignatureScheme.rsa_pss_rsae_sha512, key: 'rsa', hash: 'sha512', sigopts: PSS },
  { scheme: SignatureScheme.rsa_pkcs1_sha256, key: 'rsa', hash: 'sha256', sigopts: [] },
  { scheme: SignatureScheme.rsa_pkcs1_sha384, key: 'rsa', hash: 'sha384', sigopts: [] },
  { scheme: SignatureScheme.rsa_pkcs1_sha512, key: 'rsa', hash: 'sha512', sigopts: [] },
  { scheme: SignatureScheme.ed25519, key: 'ed25519', hash: '', sigopts: [] },
];

const GENPKEY: Readonly<Record<KeyName, readonly string[]>> = {
  p256: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  p384: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'],
  p521: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521'],
  rsa: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
  ed25519: ['-algorithm', 'ED25519'],
};

const KEY_NAMES: readonly KeyName[] = ['p256', 'p384', 'p521', 'rsa', 'ed25519'];
const keys = new Map<KeyName, KeyObject>();
const data = randomBytes(300);

function sigopts(c: Case): string[] {
  // MGF1 uses the same hash as the signature (RFC 8446 4.2.3).
  return c.sigopts.map((o) => (o === 'rsa_mgf1_md:' ? `rsa_mgf1_md:${c.hash}` : o));
}

function key(name: KeyName): KeyObject {
  const k = keys.get(name);
  if (k === undefined) throw new Error(`no ${name} key`);
  return k;
}

beforeAll(() => {
  scratch.write('data.bin', data);
  for (const name of KEY_NAMES) {
    scratch.openssl(['genpkey', ...GENPKEY[name], '-out', `${name}.key`]);
    scratch.openssl(['pkey', '-in', `${name}.key`, '-pubout', '-out', `${name}.pub`]);
    keys.set(name, parsePrivateKey(scratch.readText(`${name}.key`)));
  }
});

describe.each(CASES)('scheme $scheme', (c) => {
  const name = SignatureScheme[c.scheme];

  it(`${name}: our signature verifies with openssl`, () => {
    const sig = signWithScheme(key(c.key), c.scheme, data);
    scratch.write(`${name}.ours.sig`, sig);
    const out =
      c.key === 'ed25519'
        ? scratch.openssl(['pkeyutl', '-verify', '-pubin', '-inkey', `${c.key}.pub`, '-rawin', '-in', 'data.bin', '-sigfile', `${name}.ours.sig`])
        : scratch.openssl(['dgst', `-${c.hash}`, ...sigopts(c), '-verify', `${c.key}.pub`, '-signature', `${name}.ours.sig`, 'data.bin']);
    expect(out).toMatch(/Verified OK|Signature Verified Successfully/);
  });

  it(`${name}: openssl's and node's signatures verify with ours; tampering does not`, () => {
    if (c.key === 'ed25519') {
      scratch.openssl(['pkeyutl', '-sign', '-inkey', `${c.key}.key`, '-rawin', '-in', 'data.bin', '-out', `${name}.openssl.sig`]);
    } else {
      scratch.openssl(['dgst', `-${c.hash}`, ...sigopts(c), '-sign', `${c.key}.key`, '-out', `${name}.openssl.sig`, 'data.bin']);
    }
    const sig = new Uint8Array(scratch.read(`${name}.openssl.sig`));
    const pub = createPublicKey(key(c.key));
    expect(verifyWithScheme(pub, c.scheme, data, sig)).toBe(true);
    const nodeSig =
      c.key === 'ed25519'
        ? nodeSign(null, data, key(c.key))
        : c.sigopts.length > 0
          ? nodeSign(c.hash, data, { key: key(c.key), padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST })
          : nodeSign(c.hash, data, { key: key(c.key), dsaEncoding: 'der' });
    expect(verifyWithScheme(pub, c.scheme, data, nodeSig)).toBe(true);
    const flipped = new Uint8Array(sig);
    flipped[10] = (flipped[10] ?? 0) ^ 0x40;
    expect(verifyWithScheme(pub, c.scheme, data, flipped)).toBe(false);
    expect(verifyWithScheme(pub, c.scheme, Buffer.concat([data, Buffer.from([0])]), sig)).toBe(false);
    expect(verifyWithScheme(pub, c.scheme, data, new Uint8Array(0))).toBe(false);
    expect(verifyWithScheme(pub, c.scheme, data, randomBytes(7))).toBe(false);
  });
});

describe('scheme rules', () => {
  it('each key offers the schemes of its kind, curve and all', () => {
    const S = SignatureScheme;
    // Every ECDSA scheme (TLS 1.2: hash + ecdsa, no curve), the key's own curve first.
    expect(signatureSchemesForKey(key('p256'))).toEqual([S.ecdsa_secp256r1_sha256, S.ecdsa_secp384r1_sha384, S.ecdsa_secp521r1_sha512]);
    expect(signatureSchemesForKey(key('p384'))).toEqual([S.ecdsa_secp384r1_sha384, S.ecdsa_secp256r1_sha256, S.ecdsa_secp521r1_sha512]);
    expect(signatureSchemesForKey(createPublicKey(key('p521')))).toEqual([S.ecdsa_secp521r1_sha512, S.ecdsa_secp256r1_sha256, S.ecdsa_secp384r1_sha384]);
    expect(signatureSchemesForKey(key('ed25519'))).toEqual([S.ed25519]);
    expect(signatureSchemesForKey(key('rsa'))).toEqual([
      S.rsa_pss_rsae_sha256, S.rsa_pss_rsae_sha384, S.rsa_pss_rsae_sha512, S.rsa_pkcs1_sha256, S.rsa_pkcs1_sha384, S.rsa_pkcs1_sha512,
    ]);
    expect(keyExchangeForKey(key('p256'))).toBe('ecdhe_ecdsa');
    expect(keyExchangeForKey(key('ed25519'))).toBe('ecdhe_ecdsa');
    expect(keyExchangeForKey(key('rsa'))).toBe('ecdhe_rsa');
  });

  it('TLS 1.2: ecdsa_secp256r1_sha256 is ECDSA with SHA-256 on any curve (OpenSSL signs P-384 ServerKeyExchanges so)', () => {
    // What `openssl s_server` with a P-384 key sends a client that lists ecdsa_secp256r1_sha256
    // first: a P-384 signature over SHA-256. Refusing it failed every handshake with such a
    // server (decrypt_error), against OpenSSL and GnuTLS alike.
    const opensslSig = new Uint8Array(nodeSign('sha256', data, { key: key('p384'), dsaEncoding: 'der' }));
    expect(verifyWithScheme(createPublicKey(key('p384')), SignatureScheme.ecdsa_secp256r1_sha256, data, opensslSig)).toBe(true);
    // The hash is the scheme's: the same signature does not verify as SHA-384.
    expect(verifyWithScheme(createPublicKey(key('p384')), SignatureScheme.ecdsa_secp384r1_sha384, data, opensslSig)).toBe(false);
    // And we sign so when a peer offers only that scheme.
    const ours = signWithScheme(key('p384'), SignatureScheme.ecdsa_secp256r1_sha256, data);
    scratch.write('p384-sha256.sig', ours);
    scratch.openssl(['pkey', '-in', 'p384.key', '-pubout', '-out', 'p384.pub']);
    expect(scratch.opensslOk(['dgst', '-sha256', '-verify', 'p384.pub', '-signature', 'p384-sha256.sig', 'data.bin'])).toBe(true);
  });

  it('an ECDSA scheme needs an EC key on a curve we support; other kinds of key cannot make it', () => {
    expect(() => signWithScheme(key('rsa'), SignatureScheme.ecdsa_secp256r1_sha256, data)).toThrow(DtlsError);
    const sig = signWithScheme(key('p384'), SignatureScheme.ecdsa_secp384r1_sha384, data);
    expect(verifyWithScheme(key('rsa'), SignatureScheme.ecdsa_secp384r1_sha384, data, sig)).toBe(false);
    expect(verifyWithScheme(key('ed25519'), SignatureScheme.ecdsa_secp384r1_sha384, data, sig)).toBe(false);
    try {
      signWithScheme(key('rsa'), SignatureScheme.ed25519, data);
    } catch (err) {
      expect(err instanceof DtlsError && err.alert === AlertDescription.internal_error).toBe(true);
    }
    expect(verifyWithScheme(key('rsa'), 0x0201, data, sig)).toBe(false); // rsa_pkcs1_sha1: not offered
  });

  it('RSA-PSS requires the salt to be as long as the hash (openssl rsa_pss_saltlen:max is refused)', () => {
    scratch.openssl(['dgst', '-sha256', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:max', '-sign', 'rsa.key', '-out', 'pss-max.sig', 'data.bin']);
    const sig = new Uint8Array(scratch.read('pss-max.sig'));
    expect(scratch.openssl(['dgst', '-sha256', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:auto', '-verify', 'rsa.pub', '-signature', 'pss-max.sig', 'data.bin'])).toContain('Verified OK');
    expect(verifyWithScheme(key('rsa'), SignatureScheme.rsa_pss_rsae_sha256, data, sig)).toBe(false);
    // And a PKCS#1 v1.5 signature is not a PSS one.
    const pkcs1 = signWithScheme(key('rsa'), SignatureScheme.rsa_pkcs1_sha256, data);
    expect(verifyWithScheme(key('rsa'), SignatureScheme.rsa_pss_rsae_sha256, data, pkcs1)).toBe(false);
  });
});
