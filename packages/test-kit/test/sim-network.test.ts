import { describe, expect, it } from 'vitest';
import { DEFAULT_SIM_ADDRESSES, SimNetwork, type SimAddress, type SimEndpoint, type SimNetworkOptions, type SimTraceEvent } from '../src/index.js';
import { Pinger, Ponger, type PongerOptions } from './fake-endpoint.js';

function setup(
  count: number,
  options: Omit<SimNetworkOptions, 'a' | 'b'> = {},
  ponger: PongerOptions = {},
): { net: SimNetwork; pinger: Pinger; ponger: Ponger; trace: SimTraceEvent[] } {
  const trace: SimTraceEvent[] = [];
  const pinger = new Pinger({ count, now: 0, rto: 100 });
  const pong = new Ponger(ponger);
  const net = new SimNetwork({ a: pinger, b: pong, trace: (e) => trace.push(e), ...options });
  return { net, pinger, ponger: pong, trace };
}

describe('SimNetwork', () => {
  it('delivers over a perfect link with fixed latency', async () => {
    const { net, pinger } = setup(5, { link: { latency: 10 } });
    const result = await net.run({ until: () => pinger.done });
    expect(result.reason).toBe('until');
    expect(result.ok).toBe(true);
    // five round trips of 2 × 10 ms, no timer ever due
    expect(result.time).toBe(100);
    expect(result.steps).toBe(10);
    expect(pinger.retransmissions).toBe(0);
    expect(result.stats.AtoB).toMatchObject({ sent: 5, delivered: 5, dropped: 0, duplicated: 0, oversize: 0 });
    expect(result.stats.BtoA).toMatchObject({ sent: 5, delivered: 5 });
  });

  it('is deterministic for a seed, and the seed matters', async () => {
    const faults = { latency: 5, loss: 0.3, duplicate: 0.2, reorder: 0.3, reorderDelay: 40 };
    const run = async (seed: number): Promise<{ trace: SimTraceEvent[]; time: number }> => {
      const { net, pinger, trace } = setup(30, { seed, link: faults });
      const result = await net.run({ until: () => pinger.done });
      expect(result.ok).toBe(true);
      return { trace, time: result.time };
    };
    const first = await run(1234);
    const again = await run(1234);
    const other = await run(999);
    expect(again).toEqual(first);
    expect(other.trace).not.toEqual(first.trace);
  });

  it('survives loss through retransmission and counts the drops', async () => {
    const { net, pinger } = setup(50, { seed: 3, link: { loss: 0.4 } });
    const result = await net.run({ until: () => pinger.done });
    expect(result.ok).toBe(true);
    expect(pinger.retransmissions).toBeGreaterThan(0);
    const dropped = result.stats.AtoB.dropped + result.stats.BtoA.dropped;
    expect(dropped).toBeGreaterThan(0);
    expect(result.stats.AtoB.sent).toBe(pinger.transmissions);
    expect(result.stats.AtoB.delivered).toBe(result.stats.AtoB.sent - result.stats.AtoB.dropped);
  });

  it('duplicates and reorders datagrams', async () => {
    const { net, pinger, ponger, trace } = setup(1, {
      seed: 11,
      link: { duplicate: 1, reorder: 1, reorderDelay: 30, latency: 1 },
    });
    const result = await net.run({ until: () => pinger.done });
    expect(result.ok).toBe(true);
    expect(result.stats.AtoB.duplicated).toBe(result.stats.AtoB.sent);
    expect(result.stats.AtoB.delivered).toBe(2 * result.stats.AtoB.sent);
    expect(ponger.received.filter((m) => m === 'ping:0').length).toBeGreaterThanOrEqual(2);
    expect(trace.some((e) => e.type === 'duplicate')).toBe(true);

    // Reordering: 20 numbered datagrams sent at once; with random extra delay they must
    // not all arrive in sending order, and none may be lost.
    const order: number[] = [];
    let burst = Array.from({ length: 20 }, (_, i) => new Uint8Array([i]));
    const direct = new SimNetwork({
      seed: 5,
      link: { reorder: 0.5, reorderDelay: 50 },
      a: {
        receive: () => {},
        datagramsToSend: () => {
          const out = burst;
          burst = [];
          return out;
        },
        nextTimeout: () => undefined,
        handleTimeout: () => {},
      },
      b: {
        receive: (d) => order.push(d[0] ?? -1),
        datagramsToSend: () => [],
        nextTimeout: () => undefined,
        handleTimeout: () => {},
      },
    });
    const r = await direct.run();
    expect(r.reason).toBe('idle');
    const inOrder = Array.from({ length: 20 }, (_, i) => i);
    expect([...order].sort((x, y) => x - y)).toEqual(inOrder);
    expect(order).not.toEqual(inOrder);
  });

  it('delivers injected datagrams without counting them', async () => {
    const { net, ponger } = setup(0);
    net.inject('AtoB', new TextEncoder().encode('ping:7'), 5);
    const result = await net.run();
    expect(ponger.received).toEqual(['ping:7']);
    expect(result.stats.AtoB.delivered).toBe(0);
    expect(result.stats.BtoA.delivered).toBe(1);
  });

  it('drops datagrams above the MTU and counts them as oversize', async () => {
    const trace: SimTraceEvent[] = [];
    const pinger = new Pinger({ count: 1, now: 0, rto: 100, padding: 200 });
    const net = new SimNetwork({ a: pinger, b: new Ponger(), link: { mtu: 100 }, trace: (e) => trace.push(e) });
    const result = await net.run({ until: () => pinger.done, maxTime: 5000 });
    expect(result.reason).toBe('maxTime');
    expect(result.time).toBe(5000);
    expect(result.stats.AtoB.oversize).toBe(result.stats.AtoB.sent);
    expect(result.stats.AtoB.delivered).toBe(0);
    expect(result.stats.AtoB.largest).toBeGreaterThan(100);
    expect(trace.some((e) => e.type === 'oversize')).toBe(true);
  });

  it('lets a script drop a given datagram twice', async () => {
    const seen: number[] = [];
    const { net, pinger, ponger } = setup(2, {
      link: { latency: 10 },
      // Drop the first two transmissions of ping:1 (indices 1 and 2 of A→B).
      script: (dir, index) => {
        if (dir === 'AtoB') seen.push(index);
        return dir === 'AtoB' && (index === 1 || index === 2) ? 'drop' : 'deliver';
      },
    });
    const result = await net.run({ until: () => pinger.done });
    expect(result.ok).toBe(true);
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(pinger.retransmissions).toBe(2);
    expect(ponger.received).toEqual(['ping:0', 'ping:1']);
    expect(result.stats.AtoB.dropped).toBe(2);
    // ping:1 sent at 20, lost; retransmitted at 120 (rto 100), lost; at 320 (rto 200),
    // delivered at 330, pong back at 340.
    expect(result.time).toBe(340);
  });

  it('lets a script replace a datagram', async () => {
    const { net, pinger, ponger } = setup(1, {
      script: (dir, _index, datagram) =>
        dir === 'AtoB' ? [new TextEncoder().encode('junk'), datagram] : 'deliver',
    });
    const result = await net.run({ until: () => pinger.done });
    expect(result.ok).toBe(true);
    expect(ponger.received).toEqual(['junk', 'ping:0']);
  });

  it('stops at maxSteps and reports idle when nothing can happen', async () => {
    const { net, pinger } = setup(100, { link: { loss: 1 } });
    const bounded = await net.run({ until: () => pinger.done, maxSteps: 7 });
    expect(bounded.reason).toBe('maxSteps');
    expect(bounded.steps).toBe(7);

    const quiet = new SimNetwork({
      a: { receive: () => {}, datagramsToSend: () => [], nextTimeout: () => undefined, handleTimeout: () => {} },
      b: new Ponger(),
    });
    const idle = await quiet.run({ until: () => false });
    expect(idle.reason).toBe('idle');
    expect(idle.steps).toBe(0);
  });

  it('fires a timer that is already in the past at the current time', async () => {
    const { net, pinger } = setup(1, { link: { loss: 1 } });
    await net.run({ maxSteps: 1 });
    // the first timer fired at 100
    expect(net.now()).toBe(100);
    expect(pinger.retransmissions).toBe(1);
  });

  it('lets asynchronous work inside an endpoint settle between steps', async () => {
    for (const hops of [1, 5]) {
      const { net, pinger } = setup(10, { link: { latency: 10 } }, { asyncHops: hops });
      const result = await net.run({ until: () => pinger.done });
      expect(result.ok).toBe(true);
      // Answers come out at the same virtual instant: no time lost to the async lookup.
      expect(result.time).toBe(200);
      expect(pinger.retransmissions).toBe(0);
    }
  });

  it('runs a thousand lossy exchanges quickly', async () => {
    const started = performance.now();
    const { net, pinger } = setup(1000, { seed: 77, link: { loss: 0.2, duplicate: 0.1, reorder: 0.1 } });
    const result = await net.run({ until: () => pinger.done, maxTime: 10_000_000 });
    expect(result.ok).toBe(true);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('rejects invalid link options', () => {
    expect(() => setup(1, { link: { loss: 2 } })).toThrow(RangeError);
    expect(() => setup(1, { link: { mtu: 0 } })).toThrow(RangeError);
  });
});

/** A node that records the source of what it receives and sends to an address of its choosing. */
class AddressedNode implements SimEndpoint {
  readonly got: { text: string; from: SimAddress | undefined }[] = [];
  peerAddress: SimAddress | undefined;
  private readonly outbox: Uint8Array[] = [];

  queue(text: string): void {
    this.outbox.push(new TextEncoder().encode(text));
  }

  receive(datagram: Uint8Array, _now: number, from?: SimAddress): void {
    this.got.push({ text: new TextDecoder().decode(datagram), from });
  }

  datagramsToSend(): Uint8Array[] {
    return this.outbox.splice(0);
  }

  nextTimeout(): number | undefined {
    return undefined;
  }

  handleTimeout(): void {}
}

describe('SimNetwork addresses and NAT rebinding', () => {
  it('gives every datagram its source address; after a rebind the peer sees the new one', async () => {
    const a = new AddressedNode();
    const b = new AddressedNode();
    const net = new SimNetwork({ a, b });
    expect(net.address('A')).toEqual(DEFAULT_SIM_ADDRESSES.A);
    a.queue('one');
    await net.run();
    const moved = net.rebind('A');
    expect(moved).toEqual({ address: DEFAULT_SIM_ADDRESSES.A.address, port: DEFAULT_SIM_ADDRESSES.A.port + 1 });
    a.queue('two');
    await net.run();
    expect(b.got).toEqual([
      { text: 'one', from: DEFAULT_SIM_ADDRESSES.A },
      { text: 'two', from: moved },
    ]);
    b.queue('back');
    await net.run();
    expect(a.got).toEqual([{ text: 'back', from: DEFAULT_SIM_ADDRESSES.B }]);
  });

  it('loses what is addressed to the old address (the NAT mapping is gone) and counts it as unreachable', async () => {
    const a = new AddressedNode();
    const b = new AddressedNode();
    const trace: SimTraceEvent[] = [];
    const net = new SimNetwork({ a, b, trace: (e) => trace.push(e) });
    b.peerAddress = net.address('A');
    b.queue('before');
    await net.run();
    const moved = net.rebind('A', { address: '198.51.100.1', port: 61000 });
    // B still answers the old address: lost.
    b.queue('to the old mapping');
    let result = await net.run();
    expect(a.got.map((g) => g.text)).toEqual(['before']);
    expect(result.stats.BtoA).toMatchObject({ sent: 2, delivered: 1, unreachable: 1, dropped: 0 });
    // Once B follows the peer, it arrives.
    b.peerAddress = moved;
    b.queue('to the new mapping');
    result = await net.run();
    expect(a.got.map((g) => g.text)).toEqual(['before', 'to the new mapping']);
    expect(result.stats.BtoA).toMatchObject({ sent: 3, delivered: 2, unreachable: 1 });
    expect(trace.filter((e) => e.type === 'rebind')).toHaveLength(1);
    expect(trace.filter((e) => e.type === 'unreachable')).toHaveLength(1);
  });

  it('a datagram already in flight to a node that rebinds is lost on arrival', async () => {
    const a = new AddressedNode();
    const b = new AddressedNode();
    const net = new SimNetwork({ a, b, link: { latency: 50 } });
    b.queue('in flight');
    net.flush();
    net.rebind('A');
    const result = await net.run();
    expect(a.got).toEqual([]);
    expect(result.stats.BtoA.unreachable).toBe(1);
  });

  it('injects from a spoofed source address; refuses a rebind onto the other node or the same address', async () => {
    const a = new AddressedNode();
    const b = new AddressedNode();
    const net = new SimNetwork({ a, b });
    const spoofed = { address: '203.0.113.66', port: 4444 };
    net.inject('AtoB', new TextEncoder().encode('forged'), 0, spoofed);
    await net.run();
    expect(b.got).toEqual([{ text: 'forged', from: spoofed }]);
    expect(() => net.rebind('A', net.address('B'))).toThrow(RangeError);
    expect(() => net.rebind('A', net.address('A'))).toThrow(RangeError);
    expect(() => new SimNetwork({ a, b, addresses: { a: DEFAULT_SIM_ADDRESSES.B } })).toThrow(RangeError);
  });
});
