/**
 * The doorbell (doorbell.ts): every worker of a server wakes the main thread through one word, and
 * the main thread looks at all of their links per wake-up. Rings while it is awake cost no
 * wake-up; no ring is lost.
 */
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { Doorbell } from '../src/doorbell.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Until `done()` (the watcher runs from the event loop), then a few turns more for anything extra to show. */
async function settle(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 1));
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 1));
}

describe('doorbell', () => {
  it('many rings while the watcher sleeps wake it once: the rings after the first notify nobody', async () => {
    const bell = new Doorbell();
    let looks = 0;
    bell.watch(() => looks++);
    expect(looks).toBe(1);
    for (let i = 0; i < 100; i++) bell.ring();
    await settle(() => looks >= 2);
    // One look for the hundred rings (a watcher per ring would have looked a hundred times).
    expect(looks).toBe(2);
    bell.ring();
    await settle(() => looks >= 3);
    expect(looks).toBe(3);
    bell.stop();
  });

  it('a ring during a look is not lost: the watcher looks again', async () => {
    const bell = new Doorbell();
    let looks = 0;
    bell.watch(() => {
      looks++;
      // Rung while the watcher looks (its flag is down): no notify, but the word moved.
      if (looks === 1) bell.ring();
    });
    await settle(() => looks >= 2);
    expect(looks).toBe(2);
    bell.stop();
  });

  it('after stop() the watcher looks no more', async () => {
    const bell = new Doorbell();
    let looks = 0;
    bell.watch(() => looks++);
    bell.stop();
    bell.ring();
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 1));
    expect(looks).toBe(1);
    expect(() => bell.watch(() => undefined)).toThrow(/already watched/);
  });

  it('hushed (its thread busy in this turn), rings notify nobody and the look at the end of the turn sees them', async () => {
    const bell = new Doorbell();
    const words = new Int32Array(bell.sab);
    let looks = 0;
    bell.watch(() => looks++);
    expect(looks).toBe(1);
    // The watcher waits: its flag is up.
    expect(Atomics.load(words, 1)).toBe(1);
    bell.hush();
    bell.hush();
    // Hushed: the flag is down, so a worker's ring (as doorbell.ts rings) finds nobody to notify.
    expect(Atomics.load(words, 1)).toBe(0);
    for (let i = 0; i < 10; i++) bell.ring();
    expect(looks).toBe(1);
    await tick();
    // The turn is over: one look for the ten rings and a second hush() call, the flag up again.
    expect(looks).toBe(2);
    expect(Atomics.load(words, 1)).toBe(1);
    // Rung after that look: the pending wait is notified, the watcher looks again.
    bell.ring();
    await settle(() => looks >= 3);
    expect(looks).toBe(3);
    bell.stop();
    bell.hush();
    await tick();
    expect(looks).toBe(3);
  });

  it('hushed while worker threads ring in bursts: nothing they queued is missed', async () => {
    const bell = new Doorbell();
    const items = new Int32Array(new SharedArrayBuffer(4));
    const code = `
      const { workerData } = require('node:worker_threads');
      const bell = new Int32Array(workerData.bell);
      const items = new Int32Array(workerData.items);
      const pause = new Int32Array(new SharedArrayBuffer(4));
      for (let burst = 0; burst < 400; burst++) {
        Atomics.add(items, 0, 1);
        Atomics.add(bell, 0, 1);
        if (Atomics.exchange(bell, 1, 0) !== 0) Atomics.notify(bell, 0);
        if (burst % 4 === 0) Atomics.wait(pause, 0, 0, 1);
      }`;
    let seen = 0;
    bell.watch(() => {
      seen = Atomics.load(items, 0);
    });
    // The main thread hushes the bell on every turn, as a server does for each datagram it reads.
    let hushing = true;
    const hushLoop = (): void => {
      if (!hushing) return;
      bell.hush();
      setTimeout(hushLoop, 0);
    };
    hushLoop();
    const workers = [0, 1].map(() => new Worker(code, { eval: true, workerData: { bell: bell.sab, items: items.buffer } }));
    await Promise.all(workers.map((w) => new Promise((resolve) => w.once('exit', resolve))));
    hushing = false;
    // The last rings came after the last items; a lost one would leave `seen` short for good.
    const deadline = Date.now() + 10_000;
    while (seen !== 800 && Date.now() < deadline) await tick();
    expect(seen).toBe(800);
    bell.stop();
  }, 30_000);

  it('refuses shared memory too small for its words', () => {
    expect(() => new Doorbell(new SharedArrayBuffer(4))).toThrow(RangeError);
  });

  it('three threads ringing in bursts: every item they queued is seen, with fewer looks than rings', async () => {
    const bell = new Doorbell();
    // Per thread: [produced]; the ring protocol of doorbell.ts, as a worker runs it (Link.wake).
    const items = new Int32Array(new SharedArrayBuffer(4 * 3));
    const code = `
      const { workerData } = require('node:worker_threads');
      const bell = new Int32Array(workerData.bell);
      const items = new Int32Array(workerData.items);
      const pause = new Int32Array(new SharedArrayBuffer(4));
      for (let burst = 0; burst < 300; burst++) {
        for (let i = 0, n = 1 + (burst % 7); i < n; i++) {
          Atomics.add(items, workerData.index, 1);
          Atomics.add(bell, 0, 1);
          if (Atomics.exchange(bell, 1, 0) !== 0) Atomics.notify(bell, 0);
        }
        if (burst % 10 === 0) Atomics.wait(pause, 0, 0, 1);
      }`;
    let looks = 0;
    const seen = [0, 0, 0];
    bell.watch(() => {
      looks++;
      for (let i = 0; i < 3; i++) seen[i] = Atomics.load(items, i);
    });
    const workers = [0, 1, 2].map((index) => new Worker(code, { eval: true, workerData: { bell: bell.sab, items: items.buffer, index } }));
    await Promise.all(workers.map((w) => new Promise((resolve) => w.once('exit', resolve))));
    // Each thread's last ring came after its last item: a watcher that lost it would never see it.
    const deadline = Date.now() + 10_000;
    let expected = 0;
    for (let burst = 0; burst < 300; burst++) expected += 1 + (burst % 7);
    while (seen.some((n) => n !== expected) && Date.now() < deadline) await tick();
    expect(seen).toEqual([expected, expected, expected]);
    expect(looks).toBeLessThan(3 * expected);
    bell.stop();
  }, 30_000);
});
