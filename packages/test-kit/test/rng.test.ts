import { describe, expect, it } from 'vitest';
import { Rng, VirtualClock } from '../src/index.js';

describe('Rng', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const sa = Array.from({ length: 16 }, () => a.nextUint32());
    const sb = Array.from({ length: 16 }, () => b.nextUint32());
    const sc = Array.from({ length: 16 }, () => c.nextUint32());
    expect(sa).toEqual(sb);
    expect(sa).not.toEqual(sc);
  });

  it('gives floats in [0, 1) and ints in [0, n) covering the range', () => {
    const rng = new Rng(7);
    const seen = new Set<number>();
    let bad = 0;
    for (let i = 0; i < 10_000; i++) {
      const f = rng.next();
      if (!(f >= 0 && f < 1)) bad++;
      const n = rng.int(10);
      if (!(Number.isInteger(n) && n >= 0 && n < 10)) bad++;
      seen.add(n);
    }
    expect(bad).toBe(0);
    expect(seen.size).toBe(10);
    expect(() => rng.int(0)).toThrow(RangeError);
    expect(() => rng.int(1.5)).toThrow(RangeError);
  });

  it('is roughly uniform (chance(0.3) ~ 30%)', () => {
    const rng = new Rng(1);
    let hits = 0;
    for (let i = 0; i < 100_000; i++) if (rng.chance(0.3)) hits++;
    expect(hits / 100_000).toBeGreaterThan(0.29);
    expect(hits / 100_000).toBeLessThan(0.31);
  });

  it('makes bytes of any length, deterministically', () => {
    expect(new Rng(5).bytes(7)).toEqual(new Rng(5).bytes(7));
    expect(new Rng(5).bytes(0)).toHaveLength(0);
    const big = new Rng(5).bytes(4096);
    expect(new Set(big).size).toBeGreaterThan(200);
  });

  it('forks independent streams deterministically', () => {
    const x = new Rng(9);
    const y = new Rng(9);
    expect(x.fork().bytes(8)).toEqual(y.fork().bytes(8));
  });
});

describe('VirtualClock', () => {
  it('only moves forward', () => {
    const clock = new VirtualClock(100);
    clock.advanceBy(5);
    expect(clock.now()).toBe(105);
    clock.advanceTo(105);
    expect(() => clock.advanceTo(104)).toThrow(RangeError);
    expect(() => clock.advanceTo(Number.NaN)).toThrow(RangeError);
  });
});
