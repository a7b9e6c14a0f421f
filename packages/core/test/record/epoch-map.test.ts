import { describe, expect, it } from 'vitest';
import { EpochMap } from '../../src/record/epoch-map.js';

const at = (epoch: number): { epoch: number; name: string } => ({ epoch, name: `e${epoch}` });

describe('EpochMap (the epochs of one direction, RFC 6347 4.1)', () => {
  it('finds any epoch it holds, the newest being current', () => {
    const m = new EpochMap(at(0));
    m.add(at(2));
    m.add(at(3));
    // DTLS 1.3 reads epochs 0, 2 and 3 at once (RFC 9147 6.1): not only the current and the previous one.
    expect([m.get(0)?.name, m.get(2)?.name, m.get(3)?.name, m.get(1)]).toEqual(['e0', 'e2', 'e3', undefined]);
    expect(m.current.epoch).toBe(3);
    expect(m.newestFirst().map((s) => s.epoch)).toEqual([3, 2, 0]);
  });

  it('forgets what is older than a given epoch, never the current one', () => {
    const m = new EpochMap(at(0));
    m.add(at(1));
    m.add(at(2));
    m.forgetBefore(1);
    expect(m.newestFirst().map((s) => s.epoch)).toEqual([2, 1]);
    m.forgetBefore(10);
    expect(m.size).toBe(1);
    expect(m.current.epoch).toBe(2);
    expect(m.get(1)).toBeUndefined();
  });

  it('refuses an epoch that is not newer than the current one', () => {
    const m = new EpochMap(at(1));
    expect(() => m.add(at(1))).toThrow(RangeError);
    expect(() => m.add(at(0))).toThrow(/not newer/);
  });
});
