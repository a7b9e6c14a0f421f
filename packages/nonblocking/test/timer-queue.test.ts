import { Rng } from '@dtls-kit/test-kit';
import { describe, expect, it } from 'vitest';
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
});
