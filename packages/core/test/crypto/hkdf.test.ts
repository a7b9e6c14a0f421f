/**
 * HKDF (RFC 5869) and HKDF-Expand-Label (RFC 8446 7.1, RFC 9147 5.9) on every provider.
 * Known answers: RFC 5869 appendix A.1-A.3 (SHA-256). SHA-384 has no RFC 5869 vector: it is
 * checked against OpenSSL's HKDF through node:crypto hkdfSync, an implementation we did not write.
 */
import { hkdfSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/bytes.js';
import { hkdfExpand, hkdfExtract } from '../../src/crypto/hkdf.js';
import { DTLS13_LABEL_PREFIX, type LabelledHkdf, TLS13_LABEL_PREFIX, emptyHash, hkdfExpandLabel, hkdfLabel } from '../../src/crypto/hkdf-label.js';
import { PROVIDERS } from './providers.js';

const RFC5869 = [
  {
    name: 'A.1 basic',
    ikm: '0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b',
    salt: '000102030405060708090a0b0c',
    info: 'f0f1f2f3f4f5f6f7f8f9',
    length: 42,
    prk: '077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5',
    okm: '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
  },
  {
    name: 'A.2 longer inputs and outputs',
    ikm:
      '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f' +
      '303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f',
    salt:
      '606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f' +
      '909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeaf',
    info:
      'b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf' +
      'e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff',
    length: 82,
    prk: '06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244',
    okm:
      'b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09' +
      'da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87',
  },
  {
    name: 'A.3 zero-length salt and info',
    ikm: '0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b',
    salt: '',
    info: '',
    length: 42,
    prk: '19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04',
    okm: '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
  },
];

describe.each(PROVIDERS)('HKDF: $name provider', ({ provider }) => {
  it.each(RFC5869)('RFC 5869 $name (SHA-256)', (v) => {
    const prk = hkdfExtract(provider, 'sha256', fromHex(v.salt), fromHex(v.ikm));
    expect(toHex(prk)).toBe(v.prk);
    expect(toHex(hkdfExpand(provider, 'sha256', prk, fromHex(v.info), v.length))).toBe(v.okm);
  });

  it.each([1, 47, 48, 49, 100, 255 * 48])('SHA-384 extract-then-expand of %i bytes matches OpenSSL (node:crypto hkdfSync)', (length) => {
    const ikm = fromHex('0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b');
    const salt = fromHex('000102030405060708090a0b0c');
    const info = fromHex('f0f1f2f3f4f5f6f7f8f9');
    const ours = hkdfExpand(provider, 'sha384', hkdfExtract(provider, 'sha384', salt, ikm), info, length);
    expect(toHex(ours)).toBe(Buffer.from(hkdfSync('sha384', ikm, salt, info, length)).toString('hex'));
  });

  it.each(['sha256', 'sha384'] as const)('Hash("") of %s (a constant of the schedule) is what the provider hashes', (hash) => {
    const kdf: LabelledHkdf = { provider, hash, labelPrefix: DTLS13_LABEL_PREFIX };
    expect(toHex(emptyHash(kdf))).toBe(toHex(provider.hash(hash, new Uint8Array(0))));
    // Each call hands out its own copy: a caller that writes to it spoils nobody else's.
    const first = emptyHash(kdf);
    first.fill(0);
    expect(toHex(emptyHash(kdf))).toBe(toHex(provider.hash(hash, new Uint8Array(0))));
  });

  it('refuses an output longer than 255 blocks (RFC 5869 2.3)', () => {
    const prk = new Uint8Array(32);
    expect(() => hkdfExpand(provider, 'sha256', prk, new Uint8Array(0), 255 * 32 + 1)).toThrow(RangeError);
    expect(() => hkdfExpand(provider, 'sha256', prk, new Uint8Array(0), -1)).toThrow(RangeError);
    expect(hkdfExpand(provider, 'sha256', prk, new Uint8Array(0), 255 * 32)).toHaveLength(255 * 32);
  });
});

describe('HkdfLabel (RFC 8446 7.1) with the TLS and DTLS prefixes', () => {
  const provider = PROVIDERS[0]!.provider;
  const kdf: LabelledHkdf = { provider, hash: 'sha256', labelPrefix: TLS13_LABEL_PREFIX };
  const empty = toHex(emptyHash(kdf));

  it('"tls13 derived" with Hash(""): the bytes RFC 8448 3 expands for the handshake salt', () => {
    // length 32, label<7..255> "tls13 derived" (13 bytes), context<0..255> Hash("") (32 bytes)
    expect(toHex(hkdfLabel(TLS13_LABEL_PREFIX, 'derived', emptyHash(kdf), 32))).toBe(`00200d${Buffer.from('tls13 derived').toString('hex')}20${empty}`);
  });

  it('"dtls13" takes the place of "tls13 " with no space (RFC 9147 5.9)', () => {
    expect(toHex(hkdfLabel(DTLS13_LABEL_PREFIX, 'derived', emptyHash(kdf), 32))).toBe(`00200d${Buffer.from('dtls13derived').toString('hex')}20${empty}`);
    expect(toHex(hkdfLabel(DTLS13_LABEL_PREFIX, 'sn', new Uint8Array(0), 16))).toBe(`001008${Buffer.from('dtls13sn').toString('hex')}00`);
    const secret = fromHex('b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38');
    const tls = hkdfExpandLabel(kdf, secret, 'key', new Uint8Array(0), 16);
    const dtls = hkdfExpandLabel({ ...kdf, labelPrefix: DTLS13_LABEL_PREFIX }, secret, 'key', new Uint8Array(0), 16);
    expect(toHex(tls)).toBe('3fce516009c21727d0f2e4e86ee403bc'); // RFC 8448 3, server handshake write key
    expect(toHex(dtls)).not.toBe(toHex(tls));
  });

  it('refuses what the structure cannot carry', () => {
    expect(() => hkdfLabel(TLS13_LABEL_PREFIX, 'x'.repeat(250), new Uint8Array(0), 32)).toThrow(RangeError);
    expect(() => hkdfLabel(TLS13_LABEL_PREFIX, 'key', new Uint8Array(256), 32)).toThrow(RangeError);
    expect(() => hkdfLabel(TLS13_LABEL_PREFIX, 'key', new Uint8Array(0), 0x10000)).toThrow(RangeError);
    expect(() => hkdfLabel(TLS13_LABEL_PREFIX, 'clé', new Uint8Array(0), 32)).toThrow(TypeError);
  });
});
