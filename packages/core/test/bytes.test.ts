import { describe, expect, it } from 'vitest';
import { constantTimeEqual, fromHex, toHex } from '../src/bytes.js';
import { Reader } from '../src/codec/reader.js';
import { Writer } from '../src/codec/writer.js';
import { DecodeError } from '../src/errors.js';

describe('bytes and codec primitives', () => {
  it('round-trips hex', () => {
    expect(toHex(fromHex('00ff10Ab'))).toBe('00ff10ab');
    expect(() => fromHex('abc')).toThrow(TypeError);
  });
  it('compares in constant time by value', () => {
    expect(constantTimeEqual(fromHex('0102'), fromHex('0102'))).toBe(true);
    expect(constantTimeEqual(fromHex('0102'), fromHex('0103'))).toBe(false);
    expect(constantTimeEqual(fromHex('01'), fromHex('0102'))).toBe(false);
  });
  it('reads what the writer wrote, 48-bit integers included', () => {
    const w = new Writer(1).u8(1).u16(0x203).u24(0x40506).u48(0xffff_ffff_fffe).vector8(fromHex('aa')).vector16(fromHex('bbcc'));
    const r = new Reader(w.finish());
    expect([r.u8(), r.u16(), r.u24(), r.u48()]).toEqual([1, 0x203, 0x40506, 0xffff_ffff_fffe]);
    expect(toHex(r.vector8('a'))).toBe('aa');
    expect(toHex(r.vector16('b'))).toBe('bbcc');
    r.end();
  });
  it('finish() of a writer filled to its size gives bytes that later writes do not change', () => {
    const w = new Writer(3).u8(1).u16(0x0203);
    const exact = w.finish();
    expect(toHex(exact)).toBe('010203');
    w.u8(4).bytes(fromHex('0506'));
    expect(toHex(exact)).toBe('010203');
    expect(toHex(w.finish())).toBe('010203040506');
    const roomy = new Writer(16).u8(9);
    const trimmed = roomy.finish();
    roomy.u8(8);
    expect(toHex(trimmed)).toBe('09');
  });
  it('rejects a lying length with DecodeError before slicing', () => {
    const r = new Reader(fromHex('ffff00'), 'test');
    expect(() => r.vector16('field')).toThrow(DecodeError);
  });
});
