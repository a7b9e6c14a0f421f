/**
 * The generic AES-CCM code against published vectors, on two independent AES block functions.
 * Sources:
 *  - NIST SP 800-38C Appendix C, Examples 1-4 (nonce 7, 8, 12, 13 bytes; tags 4, 6, 8, 14 bytes;
 *    Example 4 has 2^16 bytes of associated data, which takes the 0xFFFE length encoding).
 *  - RFC 3610 section 8, packet vectors #1-#4, #7, #10, #13, #19, #24 (13-byte nonce, 8- and
 *    10-byte tags; the first 8 or 12 bytes of each packet are the associated data).
 */
import { describe, expect, it } from 'vitest';
import { ccmOpen, ccmSeal } from '../../src/crypto/aes-ccm.js';
import { fromHex, toHex } from '../../src/bytes.js';
import { BLOCK_CIPHERS } from './providers.js';

/** Bytes from..to inclusive, as the RFC 3610 and SP 800-38C examples write their inputs. */
function range(from: number, to: number): string {
  let s = '';
  for (let i = from; i <= to; i++) s += (i & 0xff).toString(16).padStart(2, '0');
  return s;
}

interface CcmVector {
  readonly name: string;
  readonly key: string;
  readonly nonce: string;
  readonly aad: string;
  readonly plaintext: string;
  readonly ciphertext: string;
  readonly tag: string;
}

const NIST_KEY = range(0x40, 0x4f);
const RFC3610_KEY_A = 'c0c1c2c3c4c5c6c7c8c9cacbcccdcecf';
const RFC3610_KEY_B = 'd7828d13b2b0bdc325a76236df93cc6b';

const VECTORS: readonly CcmVector[] = [
  { name: 'SP 800-38C C.1', key: NIST_KEY, nonce: range(0x10, 0x16), aad: range(0x00, 0x07), plaintext: range(0x20, 0x23), ciphertext: '7162015b', tag: '4dac255d' },
  { name: 'SP 800-38C C.2', key: NIST_KEY, nonce: range(0x10, 0x17), aad: range(0x00, 0x0f), plaintext: range(0x20, 0x2f), ciphertext: 'd2a1f0e051ea5f62081a7792073d593d', tag: '1fc64fbfaccd' },
  {
    name: 'SP 800-38C C.3',
    key: NIST_KEY,
    nonce: range(0x10, 0x1b),
    aad: range(0x00, 0x13),
    plaintext: range(0x20, 0x37),
    ciphertext: 'e3b201a9f5b71a7a9b1ceaeccd97e70b6176aad9a4428aa5',
    tag: '484392fbc1b09951',
  },
  {
    name: 'SP 800-38C C.4',
    key: NIST_KEY,
    nonce: range(0x10, 0x1c),
    aad: range(0x00, 0xff).repeat(256),
    plaintext: range(0x20, 0x3f),
    ciphertext: '69915dad1e84c6376a68c2967e4dab615ae0fd1faec44cc484828529463ccf72',
    tag: 'b4ac6bec93e8598e7f0dadbcea5b',
  },
  { name: 'RFC 3610 #1', key: RFC3610_KEY_A, nonce: '00000003020100a0a1a2a3a4a5', aad: range(0, 7), plaintext: range(8, 0x1e), ciphertext: '588c979a61c663d2f066d0c2c0f989806d5f6b61dac384', tag: '17e8d12cfdf926e0' },
  { name: 'RFC 3610 #2', key: RFC3610_KEY_A, nonce: '00000004030201a0a1a2a3a4a5', aad: range(0, 7), plaintext: range(8, 0x1f), ciphertext: '72c91a36e135f8cf291ca894085c87e3cc15c439c9e43a3b', tag: 'a091d56e10400916' },
  { name: 'RFC 3610 #3', key: RFC3610_KEY_A, nonce: '00000005040302a0a1a2a3a4a5', aad: range(0, 7), plaintext: range(8, 0x20), ciphertext: '51b1e5f44a197d1da46b0f8e2d282ae871e838bb64da859657', tag: '4adaa76fbd9fb0c5' },
  { name: 'RFC 3610 #4', key: RFC3610_KEY_A, nonce: '00000006050403a0a1a2a3a4a5', aad: range(0, 0x0b), plaintext: range(0x0c, 0x1e), ciphertext: 'a28c6865939a9a79faaa5c4c2a9d4a91cdac8c', tag: '96c861b9c9e61ef1' },
  { name: 'RFC 3610 #7', key: RFC3610_KEY_A, nonce: '00000009080706a0a1a2a3a4a5', aad: range(0, 7), plaintext: range(8, 0x1e), ciphertext: '0135d1b2c95f41d5d1d4fec185d166b8094e999dfed96c', tag: '048c56602c97acbb7490' },
  { name: 'RFC 3610 #10', key: RFC3610_KEY_A, nonce: '0000000c0b0a09a0a1a2a3a4a5', aad: range(0, 0x0b), plaintext: range(0x0c, 0x1e), ciphertext: '07342594157785152b074098330abb141b947b', tag: '566aa9406b4d999988dd' },
  {
    name: 'RFC 3610 #13',
    key: RFC3610_KEY_B,
    nonce: '00412b4ea9cdbe3c9696766cfa',
    aad: '0be1a88bace018b1',
    plaintext: '08e8cf97d820ea258460e96ad9cf5289054d895ceac47c',
    ciphertext: '4cb97f86a2a4689a877947ab8091ef5386a6ffbdd080f8',
    tag: 'e78cf7cb0cddd7b3',
  },
  {
    name: 'RFC 3610 #19',
    key: RFC3610_KEY_B,
    nonce: '0042fff8f1951c3c9696766cfa',
    aad: 'd85bc7e69f944fb8',
    plaintext: '8a19b950bcf71a018e5e6701c91787659809d67dbedd18',
    ciphertext: 'bc218daa947427b6db386a99ac1aef23ade0b52939cb6a',
    tag: '637cf9bec2408897c6ba',
  },
  {
    name: 'RFC 3610 #24',
    key: RFC3610_KEY_B,
    nonce: '008d493b30ae8b3c9696766cfa',
    aad: '6e37a6ef546d955d34ab6059',
    plaintext: 'abf21c0b02feb88f856df4a37381bce3cc128517d4',
    ciphertext: 'f32905b88a641b04b9c9ffb58cc390900f3da12ab1',
    tag: '6dce9e82efa16da62059',
  },
];

describe.each(BLOCK_CIPHERS)('AES-CCM on $name', ({ make }) => {
  it.each(VECTORS)('$name: seal gives the published ciphertext and tag, open gives the plaintext back', (v) => {
    const block = make(fromHex(v.key));
    const tagLength = v.tag.length / 2;
    const sealed = ccmSeal(block, fromHex(v.nonce), fromHex(v.plaintext), fromHex(v.aad), tagLength);
    expect(toHex(sealed)).toBe(v.ciphertext + v.tag);
    const opened = ccmOpen(block, fromHex(v.nonce), sealed, fromHex(v.aad), tagLength);
    expect(opened === null ? null : toHex(opened)).toBe(v.plaintext);
  });

  it.each(VECTORS)('$name: any flipped bit in ciphertext, tag, AAD or nonce is refused', (v) => {
    const block = make(fromHex(v.key));
    const tagLength = v.tag.length / 2;
    const sealed = fromHex(v.ciphertext + v.tag);
    const aad = fromHex(v.aad);
    const nonce = fromHex(v.nonce);
    for (const i of [0, sealed.length - tagLength - 1, sealed.length - tagLength, sealed.length - 1]) {
      const bad = sealed.slice();
      bad[i] = (bad[i] ?? 0) ^ 0x01;
      expect(ccmOpen(block, nonce, bad, aad, tagLength)).toBeNull();
    }
    const badAad = aad.slice();
    badAad[0] = (badAad[0] ?? 0) ^ 0x80;
    expect(ccmOpen(block, nonce, sealed, badAad, tagLength)).toBeNull();
    const badNonce = nonce.slice();
    badNonce[nonce.length - 1] = (badNonce[nonce.length - 1] ?? 0) ^ 0x01;
    expect(ccmOpen(block, badNonce, sealed, aad, tagLength)).toBeNull();
    // The tag length is authenticated too (it is in B0's flags).
    expect(ccmOpen(block, nonce, sealed.subarray(0, sealed.length - 2), aad, tagLength - 2)).toBeNull();
  });

  it('returns null, never throws, for input that cannot be valid', () => {
    const block = make(fromHex(RFC3610_KEY_A));
    const nonce12 = new Uint8Array(12);
    expect(ccmOpen(block, nonce12, new Uint8Array(7), new Uint8Array(0), 8)).toBeNull(); // shorter than the tag
    expect(ccmOpen(block, new Uint8Array(6), new Uint8Array(32), new Uint8Array(0), 8)).toBeNull(); // nonce too short
    expect(ccmOpen(block, new Uint8Array(14), new Uint8Array(32), new Uint8Array(0), 8)).toBeNull(); // nonce too long
    expect(ccmOpen(block, nonce12, new Uint8Array(32), new Uint8Array(0), 5)).toBeNull(); // odd tag length
    expect(ccmOpen(block, nonce12, new Uint8Array(32), new Uint8Array(0), 18)).toBeNull(); // tag too long
  });

  it('refuses to seal with parameters CCM does not define', () => {
    const block = make(fromHex(RFC3610_KEY_A));
    expect(() => ccmSeal(block, new Uint8Array(6), new Uint8Array(1), new Uint8Array(0), 8)).toThrow(RangeError);
    expect(() => ccmSeal(block, new Uint8Array(12), new Uint8Array(1), new Uint8Array(0), 3)).toThrow(RangeError);
    // 13-byte nonce: L = 2, so at most 2^16 - 1 bytes of payload.
    expect(() => ccmSeal(block, new Uint8Array(13), new Uint8Array(0x10000), new Uint8Array(0), 8)).toThrow(RangeError);
  });

  it('seals and opens empty plaintext and empty AAD', () => {
    const block = make(fromHex(RFC3610_KEY_A));
    const nonce = new Uint8Array(12).fill(7);
    for (const aad of [new Uint8Array(0), fromHex('00')]) {
      const sealed = ccmSeal(block, nonce, new Uint8Array(0), aad, 16);
      expect(sealed.length).toBe(16);
      expect(ccmOpen(block, nonce, sealed, aad, 16)).toEqual(new Uint8Array(0));
    }
  });
});
