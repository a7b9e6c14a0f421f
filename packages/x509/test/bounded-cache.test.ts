import { describe, expect, it } from 'vitest';
import { BoundedCache } from '../src/bounded-cache.js';

describe('BoundedCache', () => {
  it('holds at most maxEntries: after cap + N insertions it has cap entries, the newest', () => {
    const cache = new BoundedCache<number, string>(8, 1_000);
    for (let i = 0; i < 8 + 5; i++) cache.set(i, `v${i}`, 1);
    expect(cache.size).toBe(8);
    expect(cache.weight).toBe(8);
    for (let i = 0; i < 5; i++) expect(cache.get(i)).toBeUndefined();
    for (let i = 5; i < 13; i++) expect(cache.get(i)).toBe(`v${i}`);
  });

  it('evicts the least recently used: get makes an entry the newest', () => {
    const cache = new BoundedCache<string, number>(2, 1_000);
    cache.set('a', 1, 1);
    cache.set('b', 2, 1);
    expect(cache.get('a')).toBe(1);
    cache.set('c', 3, 1);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
  });

  it('holds at most maxWeight, and does not store a value heavier than that alone', () => {
    const cache = new BoundedCache<number, string>(100, 10);
    for (let i = 0; i < 20; i++) cache.set(i, 'x', 3);
    expect(cache.weight).toBe(9);
    expect(cache.size).toBe(3);
    cache.set(99, 'heavy', 11);
    expect(cache.get(99)).toBeUndefined();
    expect(cache.weight).toBe(9);
    // Replacing an entry counts its new weight only.
    cache.set(19, 'y', 1);
    expect(cache.weight).toBe(7);
    // A replacement too heavy to keep drops the old entry too.
    cache.set(19, 'z', 11);
    expect(cache.get(19)).toBeUndefined();
    expect(cache.weight).toBe(6);
  });

  it('delete and clear keep the weight right', () => {
    const cache = new BoundedCache<number, string>(10, 100);
    cache.set(1, 'a', 5);
    cache.set(2, 'b', 7);
    cache.delete(1);
    cache.delete(3);
    expect([cache.size, cache.weight]).toEqual([1, 7]);
    cache.clear();
    expect([cache.size, cache.weight]).toEqual([0, 0]);
  });

  it('refuses bounds that are not positive integers (RangeError)', () => {
    expect(() => new BoundedCache(0, 1)).toThrow(RangeError);
    expect(() => new BoundedCache(1, 0.5)).toThrow(RangeError);
    expect(() => new BoundedCache(Number.NaN, 1)).toThrow(/maxEntries/);
  });
});
