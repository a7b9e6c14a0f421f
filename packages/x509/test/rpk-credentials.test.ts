/**
 * rpkServer/rpkClient and the pinned-key verifier on their own: what they accept as keys, the
 * TypeErrors of options that cannot work, and the verifier's answers (certificate_unknown for an
 * unpinned key, bad_certificate for bytes that are no SubjectPublicKeyInfo).
 */
import { generateKeyPairSync } from 'node:crypto';
import { AlertDescription, DtlsError } from '@dtls-kit/core';
import { describe, expect, it } from 'vitest';
import { createCA, createCertificate, createPinnedKeyVerifier, parsePublicKeys, rpkClient, rpkServer, subjectPublicKeyInfo } from '../src/index.js';

const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const ed = generateKeyPairSync('ed25519');
const CONTEXT = { peerRole: 'server', servername: undefined } as const;

function alertOf(f: () => unknown): number | undefined {
  try {
    f();
  } catch (err) {
    return err instanceof DtlsError ? err.alert : -1;
  }
  return undefined;
}

describe('parsePublicKeys', () => {
  it('reads PUBLIC KEY blocks, CERTIFICATE blocks (their key), SPKI DER and KeyObjects, in order', async () => {
    const ca = await createCA({ commonName: 'pins' });
    const leaf = await createCertificate({ ca, commonName: 'pinned', usage: 'server' });
    const pem = `${p256.publicKey.export({ type: 'spki', format: 'pem' }).toString()}junk between\n${ed.publicKey.export({ type: 'spki', format: 'pem' }).toString()}`;
    const keys = parsePublicKeys([pem, leaf.cert, subjectPublicKeyInfo(ed.publicKey), p256.privateKey]);
    expect(keys).toHaveLength(5);
    expect(keys[0]).toEqual(subjectPublicKeyInfo(p256.publicKey));
    expect(keys[1]).toEqual(subjectPublicKeyInfo(ed.publicKey));
    expect(keys[4]).toEqual(subjectPublicKeyInfo(p256.publicKey));
  });

  it.each([
    ['text without a key', 'hello', /no "-----BEGIN PUBLIC KEY-----"/],
    ['DER that is not an SPKI', Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01), /not a SubjectPublicKeyInfo/],
  ])('refuses %s with a TypeError', (_what, input, message) => {
    expect(() => parsePublicKeys(input)).toThrow(TypeError);
    expect(() => parsePublicKeys(input)).toThrow(message);
  });
});

describe('the pinned-key verifier', () => {
  const verifier = createPinnedKeyVerifier({ pinnedPublicKeys: ed.publicKey });

  it('accepts a pinned key, refuses another with certificate_unknown, and garbage with bad_certificate', () => {
    expect(verifier.verifyChain([subjectPublicKeyInfo(ed.publicKey)], CONTEXT)).toEqual({ authorized: true });
    expect(alertOf(() => verifier.verifyChain([subjectPublicKeyInfo(p256.publicKey)], CONTEXT))).toBe(AlertDescription.certificate_unknown);
    expect(alertOf(() => verifier.verifyChain([Uint8Array.of(1, 2, 3)], CONTEXT))).toBe(AlertDescription.bad_certificate);
    expect(alertOf(() => verifier.verifyChain([], CONTEXT))).toBe(AlertDescription.bad_certificate);
  });

  it('a DSA or X448 key is unsupported_certificate, pinned or not', () => {
    const x448 = generateKeyPairSync('x448');
    const v = createPinnedKeyVerifier({ pinnedPublicKeys: x448.publicKey });
    expect(alertOf(() => v.verifyChain([subjectPublicKeyInfo(x448.publicKey)], CONTEXT))).toBe(AlertDescription.unsupported_certificate);
  });

  it('needs a pin unless rejectUnauthorized is false', () => {
    expect(() => createPinnedKeyVerifier({ pinnedPublicKeys: [] })).toThrow(/pinnedPublicKeys: no key given/);
    const open = createPinnedKeyVerifier({ pinnedPublicKeys: [], rejectUnauthorized: false });
    const result = open.verifyChain([subjectPublicKeyInfo(p256.publicKey)], CONTEXT);
    expect(result.authorized).toBe(false);
    expect(result.authorizationError?.message).toMatch(/not one of the pinned keys/);
  });
});

describe('rpkServer / rpkClient', () => {
  it('rpkServer: our raw key is the SPKI of key; pins make it ask for the client key', () => {
    const s = rpkServer({ key: ed.privateKey, pinnedPublicKeys: p256.publicKey });
    expect(s.rawPublicKey.publicKey).toEqual(subjectPublicKeyInfo(ed.publicKey));
    expect(s.requestCert).toBe(true);
    expect(s.signer.chain).toEqual([]);
    expect(s.rawPublicKey.acceptX509).toBe(false);
    expect(rpkServer({ key: ed.privateKey }).requestCert).toBe(false);
  });

  it('rpkServer refuses requestCert with nothing to check clients with, and a cert of another key', async () => {
    expect(() => rpkServer({ key: ed.privateKey, requestCert: true })).toThrow(TypeError);
    const ca = await createCA({ commonName: 'other' });
    const leaf = await createCertificate({ ca, commonName: 'x', usage: 'server' });
    expect(() => rpkServer({ key: ed.privateKey, cert: leaf.cert })).toThrow(/does not belong/);
  });

  it('rpkClient: X.509 only with ca; a cert needs its key', () => {
    expect(rpkClient({ pinnedPublicKeys: ed.publicKey }).rawPublicKey.acceptX509).toBe(false);
    expect(rpkClient({ pinnedPublicKeys: ed.publicKey, ca: [] }).rawPublicKey.acceptX509).toBe(true);
    expect(rpkClient({ pinnedPublicKeys: ed.publicKey }).rawPublicKey.publicKey).toBeUndefined();
    expect(() => rpkClient({ pinnedPublicKeys: ed.publicKey, cert: 'x' })).toThrow(/needs its key/);
  });
});
