import { Rng } from '@dtls-kit/test-kit';
import { describe, expect, it, vi } from 'vitest';
import { TimerQueue, type Timed } from '../src/index.js';

class Item implements Timed {
  heapIndex = -1;
  deadline = 0;
  fired: number[] = [];
  constructor(readonly id: number) {}
  onTimer(now: number): void {
    this.fired.push(now);
  }
}

describe('TimerQueue', () => {
  it('keeps the earliest deadline on top through random schedule/move/remove', () => {
    const rng = new Rng(7);
    const q = new TimerQueue(() => 0);
    const items = Array.from({ length: 200 }, (_, i) => new Item(i));
    const model = new Map<Item, number>();
    for (let step = 0; step < 5000; step++) {
      const item = items[rng.int(items.length)] as Item;
      const op = rng.int(3);
      if (op === 2) {
        q.remove(item);
        model.delete(item);
      } else {
        const d = 1000 + rng.int(100_000);
        q.schedule(item, d);
        model.set(item, d);
      }
      expect(q.size).toBe(model.size);
      const min = model.size === 0 ? undefined : Math.min(...model.values());
      expect(q.earliest).toBe(min);
    }
    q.clear();
    expect(q.size).toBe(0);
  });

  it('fires due items once, with a time at least their deadline, on one Node timer', async () => {
    const start = performance.now();
    const q = new TimerQueue();
    const a = new Item(1);
    const b = new Item(2);
    const c = new Item(3);
    q.schedule(a, start + 30);
    q.schedule(b, start + 10);
    q.schedule(c, start + 60);
    q.schedule(c, undefined); // cleared
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(b.fired).toHaveLength(1);
    expect(a.fired).toHaveLength(1);
    expect(c.fired).toHaveLength(0);
    expect(b.fired[0]).toBeGreaterThanOrEqual(start + 10);
    expect(a.fired[0]).toBeGreaterThanOrEqual(start + 30);
    expect(q.size).toBe(0);
  });

  it('keeps its Node timer while deadlines only move later or the queue empties, and fires each item at its own deadline', async () => {
    const start = performance.now();
    const q = new TimerQueue();
    const a = new Item(1);
    const b = new Item(2);
    const spy = vi.spyOn(globalThis, 'setTimeout');
    try {
      q.schedule(a, start + 20);
      q.schedule(a, start + 40); // later: the timer armed for +20 stays
      q.schedule(a, start + 60);
      q.remove(a); // empty: it stays too
      q.schedule(b, start + 50);
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
    await new Promise((resolve) => setTimeout(resolve, 35));
    // The early timer fired with nothing due and armed for b.
    expect(b.fired).toHaveLength(0);
    await new Promise((resolve) => setTimeout(resolve, 45));
    expect(a.fired).toHaveLength(0);
    expect(b.fired).toHaveLength(1);
    expect(b.fired[0]).toBeGreaterThanOrEqual(start + 50);
    expect(q.size).toBe(0);
  });
});
