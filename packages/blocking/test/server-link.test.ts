/**
 * A server connection on a long-lived worker's link (server-link.ts, HostLink.begin): its datagrams
 * wait, bounded, until a worker takes it, and a link begun again for the next connection holds
 * nothing of the previous one (its unread datagrams, its unsent ones, its handshake word, its stop
 * request, its counters).
 */
import { describe, expect, it } from 'vitest';
import type { VerifiedClientHello } from '@dtls-kit/core';
import { Phase, phaseOf, reportHandshake } from '../src/handshake-word.js';
import { HostLink } from '../src/host.js';
import { C, decodeRemote, Frame, Link } from '../src/ring.js';
import { ServerLink } from '../src/server-link.js';
import { decodeStart } from '../src/start-frame.js';

const hello = (tag: number): VerifiedClientHello => ({
  body: new Uint8Array([1, tag, 3]),
  messageSeq: 1,
  recordSeq: 2 ** 40 + tag,
  datagram: new Uint8Array([22, 254, 253, tag]),
});

/** Everything the worker would read from its inbound ring now, as text. */
function readInbound(worker: Link): string[] {
  const out: string[] = [];
  for (let f = worker.inbound.pop(); f; f = worker.inbound.pop()) {
    const kind = worker.inbound.lastKind;
    if (kind === Frame.SOURCE) out.push(`source ${decodeRemote(f)?.port}`);
    else if (kind === Frame.START) out.push(`start ${decodeStart(f)?.body[1]}`);
    else out.push(`datagram ${f[0]}`);
  }
  return out;
}

describe('a server connection on a pooled link', () => {
  it('a link begun again for the next connection holds nothing of the previous one', () => {
    const host = new HostLink(4096);
    const worker = new Link(host.sab);
    const sent: string[] = [];
    const a = new ServerLink(4096, { address: '127.0.0.1', port: 1001 });
    a.watch((d) => sent.push(`a ${d[0]}`), () => {}, () => {});
    a.deliver(new Uint8Array([1]), { address: '127.0.0.1', port: 1001 });
    host.watch(
      (d) => a.sendOut(d),
      () => {},
      () => {},
    );
    host.begin();
    a.attach(host, hello(7));
    expect(readInbound(worker)).toEqual(['source 1001', 'start 7', 'datagram 1']);
    // A's worker reads no more; its peer's datagrams pile up, it queued a datagram the main thread
    // has not sent, its handshake moved, it was asked to stop, and its counters and drops are set.
    a.deliver(new Uint8Array([2]), { address: '127.0.0.1', port: 1001 });
    a.deliver(new Uint8Array([3]), { address: '127.0.0.1', port: 2002 });
    worker.outbound.push(new Uint8Array([4]));
    reportHandshake(worker.ctrl, true, true);
    a.stop();
    worker.writeCounters({ ...a.readCounters(), recordsIn: 5, applicationBytesIn: 500 });
    Atomics.store(worker.ctrl, C.IN_DROPPED, 2);
    Atomics.store(worker.ctrl, C.STARTED, 1);
    a.finish();
    // A keeps what its link said.
    expect(a.readCounters().recordsIn).toBe(5);
    expect(a.inDropped).toBe(2);

    const b = new ServerLink(4096, { address: '127.0.0.1', port: 3003 });
    b.watch((d) => sent.push(`b ${d[0]}`), () => {}, () => {});
    b.deliver(new Uint8Array([9]), { address: '127.0.0.1', port: 3003 });
    host.begin();
    b.attach(host, hello(8));
    expect(readInbound(worker)).toEqual(['source 3003', 'start 8', 'datagram 9']);
    expect(worker.outbound.pop()).toBeUndefined();
    expect(Atomics.load(host.ctrl, C.HANDSHAKE)).toBe(0);
    expect(Atomics.load(host.ctrl, C.STOP)).toBe(0);
    expect(Atomics.load(host.ctrl, C.STARTED)).toBe(0);
    expect(b.readCounters().recordsIn).toBe(0);
    expect(b.readCounters().applicationBytesIn).toBe(0);
    expect(b.inDropped).toBe(0);
    expect(b.started).toBe(false);
    host.finish();
    expect(sent).toEqual([]);
  });

  it('a queued connection keeps its peer\'s datagrams within the ring\'s bound, counts the rest, and hands them over in order', () => {
    const q = new ServerLink(4096, { address: '127.0.0.1', port: 1001 });
    let accepted = 0;
    for (let i = 0; i < 10; i++) if (q.deliver(new Uint8Array(1000).fill(i), { address: '127.0.0.1', port: 1001 })) accepted++;
    expect(accepted).toBe(4);
    expect(q.inDropped).toBe(6);
    const host = new HostLink(8192);
    const worker = new Link(host.sab);
    host.begin();
    q.attach(host, hello(1));
    expect(readInbound(worker)).toEqual(['source 1001', 'start 1', 'datagram 0', 'datagram 1', 'datagram 2', 'datagram 3']);
    expect(q.inDropped).toBe(6);
    q.finish();
    expect(q.inDropped).toBe(6);
    host.finish();
  });

  it('a queued connection is evicted by this thread alone, once, and only on the word it was judged on', () => {
    const q = new ServerLink(4096, { address: '127.0.0.1', port: 1001 });
    const word = q.observe();
    expect(phaseOf(word)).toBe(Phase.HANDSHAKING);
    expect(q.evict(word + 8)).toBe(false);
    expect(q.evict(word)).toBe(true);
    expect(phaseOf(q.observe())).toBe(Phase.EVICTED);
    expect(q.evict(word)).toBe(false);
    q.finish();
    expect(q.deliver(new Uint8Array(1))).toBe(false);
  });

  it('a START frame carries the verified ClientHello whole', () => {
    const h = hello(5);
    const host = new HostLink(4096);
    const worker = new Link(host.sab);
    const q = new ServerLink(4096, { address: '::1', port: 4433 });
    host.begin();
    q.attach(host, h);
    expect(decodeRemote(worker.inbound.pop() ?? new Uint8Array(0))).toEqual({ address: '::1', port: 4433 });
    const start = worker.inbound.pop();
    expect(worker.inbound.lastKind).toBe(Frame.START);
    expect(decodeStart(start ?? new Uint8Array(0))).toEqual(h);
    expect(decodeStart(new Uint8Array(3))).toBeUndefined();
    host.finish();
  });
});
