/**
 * ECDHE key shares on both providers.
 * Known answers: RFC 7748 5.2 (the two X25519 function vectors) and 6.1 (Alice and Bob),
 * RFC 5903 8.1 (P-256: both public keys and the shared x-coordinate) and 8.2 (P-384: the
 * shared x-coordinate from the initiator's private key and the responder's public key).
 * Then: cross-provider agreement, and rejection of invalid peer values with illegal_parameter.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AlertDescription } from '../../src/alert.js';
import { fromHex, toHex } from '../../src/bytes.js';
import { DtlsError } from '../../src/errors.js';
import { _nobleKeyShareFromPrivate, nobleCryptoProvider } from '../../src/crypto/noble-provider.js';
import { _nodeKeyShareFromPrivate, nodeCryptoProvider } from '../../src/crypto/node-provider.js';
import type { KeyShare, NamedGroupName } from '../../src/crypto/provider.js';
import { PROVIDERS } from './providers.js';

const GROUPS: readonly NamedGroupName[] = ['x25519', 'secp256r1', 'secp384r1'];

function expectIllegalParameter(f: () => unknown): void {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(DtlsError);
  expect(thrown instanceof DtlsError ? thrown.alert : undefined).toBe(AlertDescription.illegal_parameter);
}

describe.each(PROVIDERS)('ECDH known answers: $name provider', ({ keyShareFromPrivate }) => {
  it('RFC 7748 5.2: X25519(k, u), including a u with its top bit set', () => {
    const v1 = keyShareFromPrivate('x25519', fromHex('a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4'));
    expect(toHex(v1.deriveSecret(fromHex('e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c')))).toBe(
      'c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552',
    );
    const v2 = keyShareFromPrivate('x25519', fromHex('4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d'));
    expect(toHex(v2.deriveSecret(fromHex('e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493')))).toBe(
      '95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957',
    );
  });

  it('RFC 7748 6.1: Alice and Bob', () => {
    const alice = keyShareFromPrivate('x25519', fromHex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'));
    const bob = keyShareFromPrivate('x25519', fromHex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb'));
    expect(alice.group).toBe('x25519');
    expect(toHex(alice.publicKey)).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    expect(toHex(bob.publicKey)).toBe('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
    expect(toHex(alice.deriveSecret(bob.publicKey))).toBe(shared);
    expect(toHex(bob.deriveSecret(alice.publicKey))).toBe(shared);
  });

  it('RFC 5903 8.1: P-256', () => {
    const i = keyShareFromPrivate('secp256r1', fromHex('c88f01f510d9ac3f70a292daa2316de544e9aab8afe84049c62a9c57862d1433'));
    const r = keyShareFromPrivate('secp256r1', fromHex('c6ef9c5d78ae012a011164acb397ce2088685d8f06bf9be0b283ab46476bee53'));
    expect(toHex(i.publicKey)).toBe(
      '04' + 'dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c3772581180' + '5271a0461cdb8252d61f1c456fa3e59ab1f45b33accf5f58389e0577b8990bb3',
    );
    expect(toHex(r.publicKey)).toBe(
      '04' + 'd12dfb5289c8d4f81208b70270398c342296970a0bccb74c736fc7554494bf63' + '56fbf3ca366cc23e8157854c13c58d6aac23f046ada30f8353e74f33039872ab',
    );
    const z = 'd6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de';
    expect(toHex(i.deriveSecret(r.publicKey))).toBe(z);
    expect(toHex(r.deriveSecret(i.publicKey))).toBe(z);
  });

  it('RFC 5903 8.2: P-384', () => {
    const i = keyShareFromPrivate('secp384r1', fromHex('099f3c7034d4a2c699884d73a375a67f7624ef7c6b3c0f160647b67414dce655e35b538041e649ee3faef896783ab194'));
    const gr = fromHex(
      '04' +
        'e558dbef53eecde3d3fccfc1aea08a89a987475d12fd950d83cfa41732bc509d0d1ac43a0336def96fda41d0774a3571' +
        'dcfbec7aacf3196472169e838430367f66eebe3c6e70c416dd5f0c68759dd1fff83fa40142209dff5eaad96db9e6386c',
    );
    expect(toHex(i.deriveSecret(gr))).toBe('11187331c279962d93d604243fd592cb9d0a926f422e47187521287e7156c5c4d603135569b9e9d09cf5d4a270f59746');
  });
});

describe.each(PROVIDERS)('ECDH peer validation: $name provider', ({ provider }) => {
  it.each(GROUPS)('%s: generated shares have the wire length and agree with each other', (group) => {
    const a = provider.generateKeyShare(group);
    const b = provider.generateKeyShare(group);
    const length = group === 'x25519' ? 32 : group === 'secp256r1' ? 65 : 97;
    expect(a.group).toBe(group);
    expect(a.publicKey.length).toBe(length);
    if (group !== 'x25519') expect(a.publicKey[0]).toBe(0x04);
    expect(toHex(a.deriveSecret(b.publicKey))).toBe(toHex(b.deriveSecret(a.publicKey)));
    expect(a.deriveSecret(b.publicKey).length).toBe(group === 'secp384r1' ? 48 : 32);
    expect(toHex(a.publicKey)).not.toBe(toHex(b.publicKey));
  });

  it.each(GROUPS)('%s: a peer value of the wrong length is illegal_parameter', (group) => {
    const share = provider.generateKeyShare(group);
    const peer = provider.generateKeyShare(group).publicKey;
    expectIllegalParameter(() => share.deriveSecret(peer.subarray(0, peer.length - 1)));
    expectIllegalParameter(() => share.deriveSecret(new Uint8Array(peer.length + 1)));
    expectIllegalParameter(() => share.deriveSecret(new Uint8Array(0)));
  });

  it.each(['secp256r1', 'secp384r1'] as const)('%s: compressed, off-curve and all-zero points are illegal_parameter', (group) => {
    const share = provider.generateKeyShare(group);
    const peer = provider.generateKeyShare(group).publicKey;
    const coordinate = (peer.length - 1) / 2;
    // Compressed form (0x02/0x03 || X) and a wrong prefix with the right length.
    expectIllegalParameter(() => share.deriveSecret(peer.subarray(0, 1 + coordinate)));
    const wrongPrefix = peer.slice();
    wrongPrefix[0] = 0x06; // the "hybrid" form of X9.62, which TLS does not allow
    expectIllegalParameter(() => share.deriveSecret(wrongPrefix));
    // Not on the curve: one bit of y changed.
    const offCurve = peer.slice();
    offCurve[peer.length - 1] = (offCurve[peer.length - 1] ?? 0) ^ 1;
    expectIllegalParameter(() => share.deriveSecret(offCurve));
    // (0, 0): not on the curve (b != 0); the identity has no uncompressed encoding.
    const zero = new Uint8Array(peer.length);
    zero[0] = 0x04;
    expectIllegalParameter(() => share.deriveSecret(zero));
    // Coordinates not reduced modulo p.
    const big = new Uint8Array(peer.length).fill(0xff);
    big[0] = 0x04;
    expectIllegalParameter(() => share.deriveSecret(big));
  });

  it('x25519: low-order points (all-zero shared secret, RFC 7748 6.1) are illegal_parameter', () => {
    const share = provider.generateKeyShare('x25519');
    const lowOrder = [
      '0000000000000000000000000000000000000000000000000000000000000000', // u = 0
      '0100000000000000000000000000000000000000000000000000000000000000', // u = 1
      'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800', // order 8
      '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157', // order 8
      'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // u = p - 1
      'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // u = p (= 0)
    ];
    for (const u of lowOrder) expectIllegalParameter(() => share.deriveSecret(fromHex(u)));
  });
});

describe('ECDH cross-provider agreement', () => {
  /** Private keys valid for every group: non-zero, and (first byte < 0xff) below the NIST orders. */
  const privateKey = (length: number): fc.Arbitrary<Uint8Array> =>
    fc.uint8Array({ minLength: length, maxLength: length }).filter((k) => k.some((b) => b !== 0) && (k[0] ?? 0) < 0xff);

  it.each(GROUPS)('%s: same private key gives the same public value; mixed pairs derive the same secret', (group) => {
    const length = group === 'secp384r1' ? 48 : 32;
    fc.assert(
      fc.property(privateKey(length), privateKey(length), (ka, kb) => {
        const aNode: KeyShare = _nodeKeyShareFromPrivate(group, ka);
        const aNoble: KeyShare = _nobleKeyShareFromPrivate(group, ka);
        expect(toHex(aNoble.publicKey)).toBe(toHex(aNode.publicKey));
        const bNoble = _nobleKeyShareFromPrivate(group, kb);
        expect(toHex(bNoble.deriveSecret(aNode.publicKey))).toBe(toHex(aNode.deriveSecret(bNoble.publicKey)));
      }),
      { numRuns: 15 },
    );
  });

  it.each(GROUPS)('%s: generated shares from one provider agree with the other', (group) => {
    for (let i = 0; i < 5; i++) {
      const a = nodeCryptoProvider.generateKeyShare(group);
      const b = nobleCryptoProvider.generateKeyShare(group);
      expect(toHex(a.deriveSecret(b.publicKey))).toBe(toHex(b.deriveSecret(a.publicKey)));
    }
  });
});
