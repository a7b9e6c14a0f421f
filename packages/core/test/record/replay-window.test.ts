import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_SEQUENCE_NUMBER } from '../../src/record/record-header.js';
import { ReplayWindow } from '../../src/record/replay-window.js';

/** The window of RFC 6347 4.1.2.6 stated plainly: a Set of everything accepted and the right edge. */
class ModelWindow {
  private readonly seen = new Set<number>();
  private top = -1;
  constructor(private readonly size: number) {}
  check(seq: number): boolean {
    if (seq > this.top) return true;
    if (this.top - seq >= this.size) return false;
    return !this.seen.has(seq);
  }
  accept(seq: number): void {
    if (seq > this.top) this.top = seq;
    else if (this.top - seq >= this.size) return;
    this.seen.add(seq);
  }
}

type Op = { kind: 'check' | 'accept' | 'receive'; seq: number };

/**
 * Sequence numbers as a link delivers them relative to the window size: mostly moving forward
 * (small steps, sometimes jumps of about one or several windows), with late and duplicate
 * records reaching back up to two windows.
 */
const opsArb = (size: number): fc.Arbitrary<Op[]> =>
  fc
    .array(
      fc.record({
        kind: fc.constantFrom<Op['kind']>('check', 'accept', 'receive', 'receive'),
        step: fc.oneof(
          { weight: 6, arbitrary: fc.integer({ min: 0, max: 3 }) },
          { weight: 2, arbitrary: fc.integer({ min: 0, max: size + 40 }) },
          { weight: 1, arbitrary: fc.integer({ min: 0, max: 4 * size + 64 }) },
        ),
        back: fc.oneof(
          { weight: 3, arbitrary: fc.constant(0) },
          { weight: 2, arbitrary: fc.integer({ min: 0, max: size + 2 }) },
          { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 * size + 40 }) },
        ),
      }),
      { maxLength: 300 },
    )
    .map((steps) => {
      let cursor = 0;
      return steps.map(({ kind, step, back }) => {
        cursor += step;
        return { kind, seq: Math.max(0, cursor - back) };
      });
    });

describe('ReplayWindow (RFC 6347 4.1.2.6)', () => {
  it('matches a Set-based model for any window size and any order of sequence numbers', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 7, 31, 32, 33, 64, 100, 128, 1024).chain((size) => fc.tuple(fc.constant(size), opsArb(size))),
        ([size, ops]) => {
          const w = new ReplayWindow(size);
          const m = new ModelWindow(size);
          for (const { kind, seq } of ops) {
            if (kind === 'check') {
              expect(w.check(seq)).toBe(m.check(seq));
            } else if (kind === 'accept') {
              w.accept(seq);
              m.accept(seq);
            } else {
              // What the record layer does: check, then accept once authenticated.
              const fresh = w.check(seq);
              expect(fresh).toBe(m.check(seq));
              if (fresh) {
                w.accept(seq);
                m.accept(seq);
              }
            }
          }
          // Probe every number around the right edge at the end.
          const top = w.highest;
          for (let s = Math.max(0, top - size - 40); s <= top + 2; s++) expect(w.check(s)).toBe(m.check(s));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('accepts each sequence number once and rejects those left of the window', () => {
    const w = new ReplayWindow(64);
    expect(w.check(0)).toBe(true);
    w.accept(0);
    expect(w.check(0)).toBe(false);
    w.accept(100);
    expect(w.check(36)).toBe(false); // 100 - 36 = 64: left of the window
    expect(w.check(37)).toBe(true);
    expect(w.check(100)).toBe(false);
    expect(w.check(99)).toBe(true);
    w.accept(99);
    expect(w.check(99)).toBe(false);
    w.accept(1000);
    expect(w.check(99)).toBe(false);
    expect(w.check(999)).toBe(true);
  });

  it('handles 48-bit sequence numbers up to 2^48-1 and rejects anything outside', () => {
    const w = new ReplayWindow(1024);
    const top = MAX_SEQUENCE_NUMBER;
    w.accept(top - 5);
    expect(w.check(top - 5)).toBe(false);
    expect(w.check(top)).toBe(true);
    w.accept(top);
    expect(w.check(top)).toBe(false);
    expect(w.check(top - 1023)).toBe(true);
    expect(w.check(top - 1024)).toBe(false);
    expect(w.check(top + 1)).toBe(false);
    expect(w.check(-1)).toBe(false);
    expect(w.check(1.5)).toBe(false);
    expect(w.check(Number.NaN)).toBe(false);
  });

  it('validates its size', () => {
    expect(() => new ReplayWindow(0)).toThrow(RangeError);
    expect(() => new ReplayWindow(2.5)).toThrow(RangeError);
    expect(() => new ReplayWindow(1 << 20)).toThrow(RangeError);
    expect(new ReplayWindow().size).toBe(64);
  });
});
