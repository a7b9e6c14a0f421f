import { describe, expect, it } from 'vitest';
import { C, Frame, Link, allocateLink, decodeRemote, encodeRemote } from '../src/ring.js';
import { HostLink } from '../src/host.js';

describe('shared-memory rings', () => {
  it('keep datagram boundaries and order across many wrap-arounds', () => {
    const link = new Link(allocateLink(4096));
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 2000; round++) {
      const n = (round * 37) % 700;
      const d = new Uint8Array(n).fill(next & 0xff);
      if (link.inbound.push(d)) next++;
      if (round % 3 !== 0) {
        const got = link.inbound.pop();
        if (got) {
          expect(got.every((b) => b === (expected & 0xff))).toBe(true);
          expected++;
        }
      }
    }
    for (let got = link.inbound.pop(); got; got = link.inbound.pop()) expected++;
    expect(expected).toBe(next);
    expect(Atomics.load(link.ctrl, C.IN_USED)).toBe(0);
  });

  it('a full ring drops the datagram and counts it', async () => {
    const host = new HostLink(4096);
    let accepted = 0;
    for (let i = 0; i < 10; i++) if (host.deliver(new Uint8Array(1000))) accepted++;
    expect(accepted).toBe(4); // 4 x (4 + 1000) bytes fit in 4096
    expect(host.inDropped).toBe(6);
    // The worker is woken once for the datagrams that came together, after the last of them.
    expect(Atomics.load(host.ctrl, C.IN_SEQ)).toBe(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(Atomics.load(host.ctrl, C.IN_SEQ)).toBe(1);
  });

  it("carry each datagram's source only when it changes: the common case adds nothing to the ring", () => {
    const host = new HostLink(4096);
    host.setSource('127.0.0.1', 1000);
    const peer = { address: '127.0.0.1', port: 1000 };
    const moved = { address: '127.0.0.1', port: 2000 };
    const d = new Uint8Array([1, 2, 3]);
    for (let i = 0; i < 3; i++) expect(host.deliver(d, peer)).toBe(true);
    expect(Atomics.load(host.ctrl, C.IN_USED)).toBe(3 * 8); // three datagrams, no SOURCE frame
    host.deliver(d, moved);
    host.deliver(d, moved);
    host.deliver(d, peer);
    const seen: (string | number)[] = [];
    const link = new Link(host.sab);
    for (let e = link.inbound.pop(); e; e = link.inbound.pop()) {
      if (link.inbound.lastKind === Frame.SOURCE) seen.push(`from ${decodeRemote(e)?.port}`);
      else seen.push(e.length);
    }
    expect(seen).toEqual([3, 3, 3, 'from 2000', 3, 3, 'from 1000', 3]);
  });

  it('hand the main thread frames in queue order with the datagrams', () => {
    const host = new HostLink(4096);
    const link = new Link(host.sab);
    link.outbound.push(new Uint8Array([9]));
    link.outbound.push(encodeRemote('::1', 4433), Frame.REMOTE);
    link.outbound.push(new Uint8Array([8]));
    const order: string[] = [];
    host.watch(
      (datagram) => order.push(`datagram ${datagram[0]}`),
      (kind, data) => order.push(kind === Frame.REMOTE ? `remote ${JSON.stringify(decodeRemote(data))}` : `kind ${kind}`),
    );
    host.finish();
    expect(order).toEqual(['datagram 9', 'remote {"address":"::1","port":4433}', 'datagram 8']);
    expect(decodeRemote(new TextEncoder().encode('garbage'))).toBeUndefined();
  });
});

describe('wake-ups (Link.wake / Link.sleep)', () => {
  it('notify only a consumer that said it sleeps, once per sleep: the rest of a burst costs no wake-up', async () => {
    const link = new Link(allocateLink(4096));
    // A waiter that did not raise the flag is not notified: the producer thinks the consumer busy.
    const unflagged = Atomics.waitAsync(link.ctrl, C.IN_SEQ, 0, 200);
    link.wake(C.IN_SEQ);
    expect(unflagged.async && (await unflagged.value)).toBe('timed-out');
    // A consumer that sleeps is woken, and the flag is down again for the rest of the burst.
    const seen = Atomics.load(link.ctrl, C.IN_SEQ);
    const sleeping = link.sleepAsync(C.IN_SEQ, seen);
    expect(Atomics.load(link.ctrl, C.IN_WAITING)).toBe(1);
    link.wake(C.IN_SEQ);
    expect(Atomics.load(link.ctrl, C.IN_WAITING)).toBe(0);
    expect(sleeping.async && (await sleeping.value)).toBe('ok');
    link.awake(C.IN_SEQ);
    const after = Atomics.waitAsync(link.ctrl, C.IN_SEQ, Atomics.load(link.ctrl, C.IN_SEQ), 200);
    link.wake(C.IN_SEQ);
    link.wake(C.IN_SEQ);
    expect(after.async && (await after.value)).toBe('timed-out');
    expect(Atomics.load(link.ctrl, C.IN_SEQ)).toBe(4);
  });

  it('a datagram queued while the consumer decides to sleep is never missed: its wait finds the word moved', () => {
    const link = new Link(allocateLink(4096));
    const worker = new Link(link.sab);
    // The consumer read the word and found the ring empty...
    const seen = Atomics.load(worker.ctrl, C.IN_SEQ);
    expect(worker.inbound.pop()).toBeUndefined();
    // ...the producer queues a datagram before the consumer raised its flag (no notify: nobody waits)...
    link.inbound.push(new Uint8Array([1]));
    link.wake(C.IN_SEQ);
    // ...so the consumer's sleep, on the word it read before looking, returns at once.
    const started = performance.now();
    worker.sleep(C.IN_SEQ, seen, 5000);
    expect(performance.now() - started).toBeLessThan(2500);
    expect(Atomics.load(worker.ctrl, C.IN_WAITING)).toBe(0);
    expect(worker.inbound.pop()).toEqual(new Uint8Array([1]));
  });
});
