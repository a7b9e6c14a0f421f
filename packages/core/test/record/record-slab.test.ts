/**
 * RecordSlab: sealed records carved from shared slabs, each byte handed out once.
 */
import { describe, expect, it } from 'vitest';
import { RecordSlab } from '../../src/record/record-slab.js';

describe('RecordSlab', () => {
  it('hands out zeroed views of one slab, disjoint and in order, then starts a new slab when one is full', () => {
    const slab = new RecordSlab(1024);
    const views = [100, 200, 250, 256, 10].map((n) => slab.take(n));
    const first = views[0]?.buffer;
    // 100 + 200 + 250 + 256 = 806 fit one slab of 1024; 10 more too.
    for (const v of views) expect(v.buffer).toBe(first);
    let end = 0;
    for (const v of views) {
      expect(v.byteOffset).toBe(end);
      expect(v.every((b) => b === 0)).toBe(true);
      end = v.byteOffset + v.length;
    }
    const next = slab.take(256); // 816 + 256 > 1024: a new slab
    expect(next.buffer).not.toBe(first);
    expect(next.byteOffset).toBe(0);
    expect(next.length).toBe(256);
  });

  it('never hands out a byte twice: writing every view leaves every other view as it was', () => {
    const slab = new RecordSlab(512);
    const views: Uint8Array[] = [];
    for (let i = 0; i < 100; i++) {
      const v = slab.take(1 + ((i * 37) % 120));
      v.fill(i + 1);
      views.push(v);
    }
    views.forEach((v, i) => expect(v.every((b) => b === i + 1)).toBe(true));
  });

  it('gives a request larger than a quarter of a slab memory of its own', () => {
    const slab = new RecordSlab(1024);
    const small = slab.take(10);
    const large = slab.take(257);
    expect(large.buffer).not.toBe(small.buffer);
    expect(large.byteLength).toBe(257);
    expect(large.buffer.byteLength).toBe(257);
    // The slab carries on where it was.
    expect(slab.take(10).byteOffset).toBe(10);
  });

  it('refuses a slab size that is not a positive integer', () => {
    expect(() => new RecordSlab(0)).toThrow(RangeError);
    expect(() => new RecordSlab(1.5)).toThrow(RangeError);
  });
});
