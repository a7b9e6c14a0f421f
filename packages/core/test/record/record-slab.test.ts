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

  it('takes back the record marked returnable when its holder gives it back: zeroed, and handed out again by the next take', () => {
    const slab = new RecordSlab(1024);
    const before = slab.take(10);
    const record = slab.take(100);
    record.fill(7);
    slab.returnable(record);
    expect(slab.giveBack(record)).toBe(true);
    expect(record.every((b) => b === 0)).toBe(true);
    const next = slab.take(100);
    expect(next.buffer).toBe(record.buffer);
    expect(next.byteOffset).toBe(record.byteOffset);
    // Once only: the same view again is not the returnable record any more.
    expect(slab.giveBack(record)).toBe(false);
    expect(before.byteOffset).toBe(0);
  });

  it('takes nothing back that was not marked returnable, nor a record taken before the last one', () => {
    const slab = new RecordSlab(1024);
    const unmarked = slab.take(100);
    unmarked.fill(1);
    expect(slab.giveBack(unmarked)).toBe(false);
    expect(unmarked.every((b) => b === 1)).toBe(true);

    const marked = slab.take(100);
    marked.fill(2);
    slab.returnable(marked);
    // A record taken after it (another connection's, a handshake's) ends the mark: its bytes stay.
    const later = slab.take(50);
    later.fill(3);
    expect(slab.giveBack(marked)).toBe(false);
    expect(marked.every((b) => b === 2)).toBe(true);
    expect(slab.take(10).byteOffset).toBe(later.byteOffset + later.length);

    // Marking a record that is not the last one taken marks nothing.
    slab.returnable(unmarked);
    expect(slab.giveBack(unmarked)).toBe(false);
    expect(unmarked.every((b) => b === 1)).toBe(true);
  });

  it('marks only the very view take() handed out last: not another view of its bytes, nor it once given back', () => {
    const slab = new RecordSlab(1024);
    slab.take(10);
    const record = slab.take(100);
    record.fill(5);
    // Another view of the same bytes (same memory, same end of the slab) is not the record.
    const alias = new Uint8Array(record.buffer, record.byteOffset, record.byteLength);
    slab.returnable(alias);
    expect(slab.giveBack(alias)).toBe(false);
    expect(slab.giveBack(record)).toBe(false);
    expect(record.every((b) => b === 5)).toBe(true);
    // The record itself is; once given back, marking it again marks nothing (its bytes are handed out anew).
    slab.returnable(record);
    expect(slab.giveBack(record)).toBe(true);
    slab.returnable(record);
    expect(slab.giveBack(record)).toBe(false);
    const next = slab.take(100);
    expect(next.byteOffset).toBe(record.byteOffset);
    next.fill(6);
    expect(slab.giveBack(record)).toBe(false);
    expect(next.every((b) => b === 6)).toBe(true);
  });

  it('marks no record of memory of its own (larger than a quarter of a slab) returnable', () => {
    const slab = new RecordSlab(1024);
    const large = slab.take(300);
    slab.returnable(large);
    expect(slab.giveBack(large)).toBe(false);
  });

  it('refuses a slab size that is not a positive integer', () => {
    expect(() => new RecordSlab(0)).toThrow(RangeError);
    expect(() => new RecordSlab(1.5)).toThrow(RangeError);
  });
});
