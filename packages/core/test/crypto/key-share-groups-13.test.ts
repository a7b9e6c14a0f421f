/**
 * The DTLS 1.3 key-share groups (RFC 8446 4.2.8) on every provider, and the hybrid
 * X25519MLKEM768 (draft-ietf-tls-ecdhe-mlkem: ML-KEM part first in every field).
 * Known answers: ML-KEM-768 key generation and encapsulation from NIST's ACVP vectors (FIPS 203;
 * ML-KEM-keyGen-FIPS203 tgId 2 tcId 26, ML-KEM-encapDecap-FIPS203 tgId 2 tcId 27), and X25519
 * from RFC 7748 6.1. The draft has no vectors of its own, so both hybrid shares are checked
 * against those put together in the draft's order.
 * Then: both sides agree on every group, and bad shares are illegal_parameter, never a crash.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { describe, expect, it } from 'vitest';
import { AlertDescription } from '../../src/alert.js';
import { concatBytes, fromHex, toHex } from '../../src/bytes.js';
import { DtlsError } from '../../src/errors.js';
import {
  KEY_SHARE_GROUPS_13,
  keyShareGroup13,
  keyShareGroup13ById,
  offeredShare13,
  type Tls13GroupName,
} from '../../src/handshake/key-exchange/key-share-groups-13.js';
import {
  X25519_MLKEM768_CLIENT_SHARE_LENGTH,
  X25519_MLKEM768_SERVER_SHARE_LENGTH,
  x25519MlKem768ClientShareFrom,
  x25519MlKem768ServerShareFrom,
} from '../../src/handshake/key-exchange/x25519-mlkem768.js';
import { PROVIDERS } from './providers.js';

/** The hex fields of an ACVP fixture under test/fixtures/ml-kem/, as bytes. */
function loadAcvp(file: string): (name: string) => Uint8Array {
  const parsed: unknown = JSON.parse(readFileSync(new URL(`../fixtures/ml-kem/${file}`, import.meta.url), 'utf8'));
  return (name: string): Uint8Array => {
    const v: unknown = typeof parsed === 'object' && parsed !== null ? Object.entries(parsed).find(([k]) => k === name)?.[1] : undefined;
    if (typeof v !== 'string') throw new Error(`${file}: no ${name}`);
    return fromHex(v);
  };
}

const encap = loadAcvp('acvp-encap-768-tc27.json');
const ACVP = { ek: encap('ek'), m: encap('m'), c: encap('c'), k: encap('k') };
const keygen = loadAcvp('acvp-keygen-768-tc26.json');
/** FIPS 203 ML-KEM.KeyGen_internal(d, z): noble's 64-byte seed is d || z. */
const KEYGEN = { seed: concatBytes(keygen('d'), keygen('z')), ek: keygen('ek') };
/** RFC 7748 6.1. */
const ALICE_PRIVATE = fromHex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
const ALICE_PUBLIC = fromHex('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
const BOB_PRIVATE = fromHex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
const BOB_PUBLIC = fromHex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
const X25519_SHARED = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';

function alertOf(f: () => unknown): AlertDescription | undefined {
  try {
    f();
  } catch (err) {
    if (err instanceof DtlsError) return err.alert;
    throw err;
  }
  return undefined;
}

describe('ML-KEM-768 (@noble/post-quantum) against NIST ACVP', () => {
  it('FIPS 203 ML-KEM.KeyGen, ACVP keyGen tgId 2 tcId 26: the encapsulation key from (d, z)', () => {
    expect(toHex(ml_kem768.keygen(KEYGEN.seed).publicKey)).toBe(toHex(KEYGEN.ek));
  });

  it('FIPS 203 ML-KEM.Encaps, ACVP encapDecap tgId 2 tcId 27: ciphertext and shared secret', () => {
    const { cipherText, sharedSecret } = ml_kem768.encapsulate(ACVP.ek, ACVP.m);
    expect(toHex(cipherText)).toBe(toHex(ACVP.c));
    expect(toHex(sharedSecret)).toBe(toHex(ACVP.k));
  });
});

describe('NamedGroup entries for DTLS 1.3', () => {
  it('code points (RFC 8446 4.2.7, draft-ietf-tls-ecdhe-mlkem) and the hybrid off by default', () => {
    expect(KEY_SHARE_GROUPS_13.map((g) => [g.name, g.id, g.clientShareLength, g.serverShareLength, g.offeredByDefault])).toEqual([
      ['x25519', 0x001d, 32, 32, true],
      ['secp256r1', 0x0017, 65, 65, true],
      ['secp384r1', 0x0018, 97, 97, true],
      ['x25519mlkem768', 0x11ec, 1216, 1120, false],
    ]);
    expect(keyShareGroup13ById(0x11ec)?.name).toBe('x25519mlkem768');
    expect(keyShareGroup13ById(0x0019)).toBeUndefined(); // secp521r1: not run here
  });
});

describe.each(PROVIDERS)('key-share groups: $name provider', ({ provider, keyShareFromPrivate }) => {
  it('X25519MLKEM768 server share = ML-KEM ciphertext || X25519 public, secret = ML-KEM || X25519 (ACVP + RFC 7748)', () => {
    const clientKeyExchange = concatBytes(ACVP.ek, ALICE_PUBLIC);
    const server = x25519MlKem768ServerShareFrom(keyShareFromPrivate('x25519', BOB_PRIVATE), ACVP.m, clientKeyExchange);
    expect(server.keyExchange).toHaveLength(X25519_MLKEM768_SERVER_SHARE_LENGTH);
    expect(toHex(server.keyExchange)).toBe(toHex(ACVP.c) + toHex(BOB_PUBLIC));
    expect(toHex(server.sharedSecret)).toBe(toHex(ACVP.k) + X25519_SHARED);
  });

  it('X25519MLKEM768 client share = ML-KEM encapsulation key || X25519 public (ACVP keyGen + RFC 7748)', () => {
    const client = x25519MlKem768ClientShareFrom(keyShareFromPrivate('x25519', ALICE_PRIVATE), KEYGEN.seed);
    expect(toHex(client.keyExchange)).toBe(toHex(KEYGEN.ek) + toHex(ALICE_PUBLIC));
  });

  it('X25519MLKEM768: the client completes to the server secret', () => {
    const seed = provider.randomBytes(64);
    const client = x25519MlKem768ClientShareFrom(keyShareFromPrivate('x25519', ALICE_PRIVATE), seed);
    expect(client.keyExchange).toHaveLength(X25519_MLKEM768_CLIENT_SHARE_LENGTH);
    expect(toHex(client.keyExchange.subarray(0, 1184))).toBe(toHex(ml_kem768.keygen(seed).publicKey));
    expect(toHex(client.keyExchange.subarray(1184))).toBe(toHex(ALICE_PUBLIC));
    const server = x25519MlKem768ServerShareFrom(keyShareFromPrivate('x25519', BOB_PRIVATE), provider.randomBytes(32), client.keyExchange);
    const secret = client.complete(server.keyExchange);
    expect(toHex(secret)).toBe(toHex(server.sharedSecret));
    expect(toHex(secret.subarray(32))).toBe(X25519_SHARED);
  });

  it.each(KEY_SHARE_GROUPS_13.map((g) => g.name))('%s: fresh shares from the provider agree on both sides', (name) => {
    const group = keyShareGroup13(name);
    const client = group.clientShare(provider);
    expect(client.keyExchange).toHaveLength(group.clientShareLength);
    const server = group.serverShare(provider, client.keyExchange);
    expect(server.keyExchange).toHaveLength(group.serverShareLength);
    expect(toHex(client.complete(server.keyExchange))).toBe(toHex(server.sharedSecret));
    expect(server.sharedSecret.length).toBe(name === 'x25519mlkem768' ? 64 : name === 'secp384r1' ? 48 : 32);
  });

  it.each(KEY_SHARE_GROUPS_13.map((g) => g.name))('%s: a share one byte short or long is illegal_parameter, both ways', (name) => {
    const group = keyShareGroup13(name);
    const client = group.clientShare(provider);
    const server = group.serverShare(provider, client.keyExchange);
    expect(alertOf(() => group.serverShare(provider, client.keyExchange.subarray(1)))).toBe(AlertDescription.illegal_parameter);
    expect(alertOf(() => group.serverShare(provider, concatBytes(client.keyExchange, new Uint8Array(1))))).toBe(AlertDescription.illegal_parameter);
    expect(alertOf(() => client.complete(server.keyExchange.subarray(1)))).toBe(AlertDescription.illegal_parameter);
    expect(alertOf(() => client.complete(concatBytes(server.keyExchange, new Uint8Array(1))))).toBe(AlertDescription.illegal_parameter);
  });

  it('X25519MLKEM768: an encapsulation key failing the FIPS 203 7.2 modulus check is illegal_parameter', () => {
    const bad = concatBytes(ACVP.ek, ALICE_PUBLIC);
    bad[0] = 0xff; // first coefficient = 0xfff > q = 3329
    bad[1] = 0x0f;
    expect(alertOf(() => keyShareGroup13('x25519mlkem768').serverShare(provider, bad))).toBe(AlertDescription.illegal_parameter);
  });

  it('X25519MLKEM768: an all-zero X25519 half (low-order point) is illegal_parameter on both sides', () => {
    const group = keyShareGroup13('x25519mlkem768');
    expect(alertOf(() => group.serverShare(provider, concatBytes(ACVP.ek, new Uint8Array(32))))).toBe(AlertDescription.illegal_parameter);
    const client = group.clientShare(provider);
    const server = group.serverShare(provider, client.keyExchange);
    const zeroed = server.keyExchange.slice();
    zeroed.fill(0, 1088);
    expect(alertOf(() => client.complete(zeroed))).toBe(AlertDescription.illegal_parameter);
  });

  it('P-256 and P-384: a compressed point is illegal_parameter (RFC 8446 4.2.8.2: uncompressed only)', () => {
    const curves: readonly Tls13GroupName[] = ['secp256r1', 'secp384r1'];
    for (const name of curves) {
      const group = keyShareGroup13(name);
      const share = group.clientShare(provider).keyExchange.slice();
      share[0] = 0x02;
      expect(alertOf(() => group.serverShare(provider, share))).toBe(AlertDescription.illegal_parameter);
    }
  });

  it('random bytes as a peer share give a result or illegal_parameter, nothing else', () => {
    fc.assert(
      fc.property(fc.constantFrom(...KEY_SHARE_GROUPS_13), fc.boolean(), fc.nat({ max: 1300 }), fc.integer(), (group, exact, n, seed) => {
        const length = exact ? group.clientShareLength : n;
        const bytes = new Uint8Array(length);
        for (let i = 0; i < length; i++) bytes[i] = (seed * (i + 7) + (seed >>> 3)) & 0xff;
        const alert = alertOf(() => group.serverShare(provider, bytes));
        expect(alert === undefined || alert === AlertDescription.illegal_parameter).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});

describe('selecting the server share', () => {
  const provider = PROVIDERS[0]!.provider;
  it('a server group we sent no share for is illegal_parameter (RFC 8446 4.2.8)', () => {
    const shares = [keyShareGroup13('x25519').clientShare(provider)];
    expect(offeredShare13(shares, 0x001d).group).toBe('x25519');
    expect(alertOf(() => offeredShare13(shares, 0x0017))).toBe(AlertDescription.illegal_parameter);
    expect(alertOf(() => offeredShare13(shares, 0x1234))).toBe(AlertDescription.illegal_parameter);
  });
});
