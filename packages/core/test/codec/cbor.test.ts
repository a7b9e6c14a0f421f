/**
 * The CBOR codec (src/codec/cbor.ts) against RFC 8949 Appendix A's examples — every one of its
 * data model, each way — and against malformed and hostile input: each refusal a CborError, never
 * a crash, a hang or an allocation the input did not pay for.
 */
import { describe, expect, it } from 'vitest';
import { CBOR_MAX_DEPTH, CborError, decodeCbor, encodeCbor } from '../../src/codec/cbor.js';

const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** RFC 8949 Appendix A: [diagnostic value, encoding] that this codec writes exactly as the RFC does. */
const BOTH_WAYS: ReadonlyArray<readonly [unknown, string]> = [
  [0, '00'],
  [1, '01'],
  [10, '0a'],
  [23, '17'],
  [24, '1818'],
  [25, '1819'],
  [100, '1864'],
  [1000, '1903e8'],
  [1000000, '1a000f4240'],
  [1000000000000, '1b000000e8d4a51000'],
  [-1, '20'],
  [-10, '29'],
  [-100, '3863'],
  [-1000, '3903e7'],
  [1.1, 'fb3ff199999999999a'],
  [1.0e300, 'fb7e37e43c8800759c'],
  [-4.1, 'fbc010666666666666'],
  [false, 'f4'],
  [true, 'f5'],
  [null, 'f6'],
  [undefined, 'f7'],
  [new Uint8Array(0), '40'],
  [hex('01020304'), '4401020304'],
  ['', '60'],
  ['a', '6161'],
  ['IETF', '6449455446'],
  ['"\\', '62225c'],
  ['\u00fc', '62c3bc'],
  ['\u6c34', '63e6b0b4'],
  ['\ud800\udd51', '64f0908591'],
  [[], '80'],
  [[1, 2, 3], '83010203'],
  [[1, [2, 3], [4, 5]], '8301820203820405'],
  [Array.from({ length: 25 }, (_, i) => i + 1), '98190102030405060708090a0b0c0d0e0f101112131415161718181819'],
  [{}, 'a0'],
  [{ a: 1, b: [2, 3] }, 'a26161016162820203'],
  [['a', { b: 'c' }], '826161a161626163'],
  [{ a: 'A', b: 'B', c: 'C', d: 'D', e: 'E' }, 'a56161614161626142616361436164614461656145'],
];

/** RFC 8949 Appendix A: encodings this codec reads (floats it would write as float64 or as integers). */
const READ_ONLY: ReadonlyArray<readonly [number, string]> = [
  [0, 'f90000'],
  [-0, 'f98000'],
  [1, 'f93c00'],
  [1.5, 'f93e00'],
  [65504, 'f97bff'],
  [100000, 'fa47c35000'],
  [3.4028234663852886e38, 'fa7f7fffff'],
  [5.960464477539063e-8, 'f90001'],
  [6.103515625e-5, 'f90400'],
  [-4, 'f9c400'],
  [Infinity, 'f97c00'],
  [NaN, 'f97e00'],
  [-Infinity, 'f9fc00'],
  [Infinity, 'fa7f800000'],
  [NaN, 'fa7fc00000'],
  [-Infinity, 'faff800000'],
  [Infinity, 'fb7ff0000000000000'],
  [NaN, 'fb7ff8000000000000'],
  [-Infinity, 'fbfff0000000000000'],
];

/** RFC 8949 Appendix A: well-formed items outside this codec's data model, refused. */
const REFUSED_FROM_THE_RFC: ReadonlyArray<readonly [string, RegExp]> = [
  ['1bffffffffffffffff', /beyond 2\^53/],
  ['3bffffffffffffffff', /beyond 2\^53/],
  ['c249010000000000000000', /tag 2/],
  ['c349010000000000000000', /tag 3/],
  ['f0', /simple value 0xf0/],
  ['f818', /simple value 0xf8/],
  ['f8ff', /simple value 0xf8/],
  ['c074323031332d30332d32315432303a30343a30305a', /tag 0/],
  ['c11a514b67b0', /tag 1/],
  ['d74401020304', /tag 23/],
  ['5f42010243030405ff', /indefinite/],
  ['7f657374726561646d696e67ff', /indefinite/],
  ['9fff', /indefinite/],
  ['bf61610161629f0203ffff', /indefinite/],
  ['826161bf61626163ff', /indefinite/],
  ['a201020304', /not a text string/],
];

describe('CBOR (RFC 8949)', () => {
  it.each(BOTH_WAYS.map(([value, encoding]) => ({ value, encoding })))('writes and reads $encoding as Appendix A does', ({ value, encoding }) => {
    expect(toHex(encodeCbor(value))).toBe(encoding);
    expect(decodeCbor(hex(encoding))).toEqual(value);
  });

  it.each(READ_ONLY.map(([value, encoding]) => ({ value, encoding })))('reads the float $encoding', ({ value, encoding }) => {
    expect(Object.is(decodeCbor(hex(encoding)), value)).toBe(true);
  });

  it('writes -0, NaN, the infinities and integers beyond 2^53 as float64, and reads them back', () => {
    expect(toHex(encodeCbor(-0))).toBe('fb8000000000000000');
    expect(toHex(encodeCbor(NaN))).toBe('fb7ff8000000000000');
    expect(toHex(encodeCbor(-Infinity))).toBe('fbfff0000000000000');
    expect(toHex(encodeCbor(2 ** 53))).toBe('fb4340000000000000');
    expect(toHex(encodeCbor(Number.MAX_SAFE_INTEGER))).toBe('1b001fffffffffffff');
    expect(toHex(encodeCbor(-Number.MAX_SAFE_INTEGER))).toBe('3b001ffffffffffffe');
    for (const n of [-0, NaN, Infinity, 2 ** 53, 2 ** 64, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 0.1, 2 ** 32, -(2 ** 32) - 1]) {
      expect(Object.is(decodeCbor(encodeCbor(n)), n)).toBe(true);
    }
  });

  it.each(REFUSED_FROM_THE_RFC.map(([encoding, reason]) => ({ encoding, reason })))('refuses $encoding with a CborError', ({ encoding, reason }) => {
    expect(() => decodeCbor(hex(encoding))).toThrow(CborError);
    expect(() => decodeCbor(hex(encoding))).toThrow(reason);
  });

  it('gives byte strings memory of their own, not views of the input', () => {
    const input = hex('a1616b4401020304');
    const out = decodeCbor(input);
    expect(out).toEqual({ k: hex('01020304') });
    input.fill(0);
    expect(out).toEqual({ k: hex('01020304') });
  });

  it('writes a Buffer as a byte string and reads it as a Uint8Array', () => {
    const out = decodeCbor(encodeCbor({ b: Buffer.from('abc') }));
    expect(out).toEqual({ b: new Uint8Array([0x61, 0x62, 0x63]) });
  });

  it('keeps keys whose value is undefined', () => {
    const out = decodeCbor(encodeCbor({ a: undefined, b: 1 }));
    expect(out).toStrictEqual({ a: undefined, b: 1 });
    expect(Object.keys(out as object)).toEqual(['a', 'b']);
  });

  it('writes and reads text that is not ASCII, long and short', () => {
    for (const s of ['é', 'x'.repeat(200), `${'y'.repeat(70)}é`, '\u{1f600}', 'a\u0000b']) expect(decodeCbor(encodeCbor([s, { [s]: s }]))).toEqual([s, { [s]: s }]);
  });
});

describe('CBOR input refused', () => {
  const snapshotLike = encodeCbor({ format: 'f', n: 1234567, list: [hex('0102'), 'text', { deep: [null, true, -5] }], f: 1.5 });

  it('refuses every truncation of a valid item, and bytes after it', () => {
    for (let n = 0; n < snapshotLike.length; n++) expect(() => decodeCbor(snapshotLike.subarray(0, n)), `first ${n} bytes`).toThrow(CborError);
    const longer = new Uint8Array(snapshotLike.length + 1);
    longer.set(snapshotLike);
    expect(() => decodeCbor(longer)).toThrow(/1 bytes after the data item/);
  });

  it('refuses lengths beyond the input before allocating for them', () => {
    // An array, a map, a byte string and a text string each claiming 2^32-1 entries or bytes.
    for (const h of ['9affffffff', 'baffffffff', '5affffffff', '7affffffff', '9b001fffffffffffff']) {
      expect(() => decodeCbor(hex(h)), h).toThrow(/bytes needed/);
    }
  });

  it('refuses duplicate keys, a __proto__ key, invalid UTF-8, a bare break and reserved additional information', () => {
    expect(() => decodeCbor(hex('a2616101616102'))).toThrow(/duplicate key/);
    expect(() => decodeCbor(hex('a1695f5f70726f746f5f5f01'))).toThrow(/__proto__/);
    expect(() => decodeCbor(hex('62c328'))).toThrow(/not UTF-8/);
    expect(() => decodeCbor(hex('a162c32801'))).toThrow(/not UTF-8/);
    expect(() => decodeCbor(hex('ff'))).toThrow(/break/);
    for (const h of ['1c', '3d', '5e', 'fc']) expect(() => decodeCbor(hex(h)), h).toThrow(CborError);
  });

  it('refuses nesting deeper than its limit, on both sides', () => {
    const deep = new Uint8Array(CBOR_MAX_DEPTH + 2).fill(0x81);
    deep[deep.length - 1] = 0x00;
    expect(() => decodeCbor(deep)).toThrow(/nesting deeper than 32/);
    expect(decodeCbor(deep.subarray(deep.length - CBOR_MAX_DEPTH - 1))).toBeInstanceOf(Array);
    let nested: unknown = 0;
    for (let i = 0; i <= CBOR_MAX_DEPTH; i++) nested = [nested];
    expect(() => encodeCbor(nested)).toThrow(/nesting deeper/);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => encodeCbor(cycle)).toThrow(/or a cycle/);
  });

  it('refuses to be re-entered from a getter, and writes large values without keeping their buffer', () => {
    const sneaky = {
      get inner(): Uint8Array {
        return encodeCbor([1]);
      },
    };
    expect(() => encodeCbor(sneaky)).toThrow(/while it encodes/);
    // The failed encoding left nothing behind: the next one is whole.
    expect(toHex(encodeCbor([1, 'a']))).toBe('82016161');
    const big = new Uint8Array(200_000).fill(7);
    const out = decodeCbor(encodeCbor({ big }));
    expect(out).toEqual({ big });
    expect(toHex(encodeCbor({ a: 1 }))).toBe('a1616101');
  });

  it('refuses to write what has no form in its data model', () => {
    for (const v of [() => 1, Symbol('s'), 10n, new Map(), new Date(0), new Uint16Array(2), [new Set()], Object.create(Object.create(null))]) expect(() => encodeCbor(v)).toThrow(CborError);
  });

  it('survives random bytes: a value or a CborError, nothing else', () => {
    let seed = 0x2545f491;
    const random = (): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return seed >>> 0;
    };
    for (let i = 0; i < 3000; i++) {
      const bytes = Uint8Array.from({ length: 1 + (random() % 40) }, () => random() & 0xff);
      try {
        decodeCbor(bytes);
      } catch (e) {
        expect(e).toBeInstanceOf(CborError);
      }
    }
    // And each truncation or one-byte change of a valid item.
    for (let at = 0; at < snapshotLike.length; at++) {
      for (const flip of [0x01, 0x20, 0x80, 0xff]) {
        const bytes = snapshotLike.slice();
        bytes[at] = (bytes[at] ?? 0) ^ flip;
        try {
          decodeCbor(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(CborError);
        }
      }
    }
  });
});
