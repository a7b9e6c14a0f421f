import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { driveOverUdp, type UdpDriver } from '../src/index.js';
import { Pinger, Ponger, type PongerOptions } from './fake-endpoint.js';

const sockets: Socket[] = [];
const drivers: UdpDriver[] = [];

afterEach(async () => {
  for (const driver of drivers.splice(0)) driver.stop();
  await Promise.all(sockets.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

function bind(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    sockets.push(socket);
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve(socket));
  });
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('waitUntil: timed out');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

async function pair(
  count: number,
  rto: number,
  pongerOptions: PongerOptions = {},
): Promise<{ pinger: Pinger; ponger: Ponger; a: UdpDriver; b: UdpDriver }> {
  const [sa, sb] = await Promise.all([bind(), bind()]);
  const pinger = new Pinger({ count, now: performance.now(), rto });
  const ponger = new Ponger(pongerOptions);
  const a = driveOverUdp(pinger, sa, { address: '127.0.0.1', port: sb.address().port });
  const b = driveOverUdp(ponger, sb, { address: '127.0.0.1', port: sa.address().port });
  drivers.push(a, b);
  return { pinger, ponger, a, b };
}

describe('driveOverUdp', () => {
  it('pumps a ping/pong exchange over two real sockets', async () => {
    const { pinger, ponger, a, b } = await pair(20, 200);
    await waitUntil(() => pinger.done, 5000);
    expect(ponger.received).toHaveLength(20);
    expect(a.stats.sent).toBe(pinger.transmissions);
    expect(b.stats.received).toBe(ponger.received.length);
    expect(b.stats.sent).toBe(20);
  });

  it('fires the endpoint timer so lost datagrams are retransmitted', async () => {
    // The ponger ignores the first two pings: only the pinger's timer can recover.
    const { pinger, a } = await pair(3, 20, { ignoreFirst: 2 });
    await waitUntil(() => pinger.done, 5000);
    expect(pinger.retransmissions).toBe(2);
    expect(a.stats.timeouts).toBe(2);
  });

  it('pumps again when an endpoint finishes asynchronous work (onWake)', async () => {
    const { pinger, ponger } = await pair(10, 10_000, { asyncHops: 3 });
    expect(typeof ponger.onWake).toBe('function');
    // rto 10 s: completing quickly proves the replies went out on wake, not on a timer.
    await waitUntil(() => pinger.done, 2000);
    expect(pinger.retransmissions).toBe(0);
  });

  it('ignores datagrams from other addresses', async () => {
    const { pinger, b } = await pair(1, 10_000, { ignoreFirst: 1_000 });
    const stranger = await bind();
    const target = sockets[1];
    if (target === undefined) throw new Error('socket missing');
    await new Promise<void>((resolve) => stranger.send('ping:0', target.address().port, '127.0.0.1', () => resolve()));
    await waitUntil(() => b.stats.ignored === 1, 2000);
    expect(b.stats.received).toBe(1); // the pinger's own ping
    expect(pinger.done).toBe(false);
  });

  it('stops and reports when the endpoint throws', async () => {
    const { b } = await pair(1, 10_000, { throwOn: 0 });
    const error = await b.stopped;
    expect(error?.message).toMatch(/refusing ping 0/);
  });

  it('stop() detaches: nothing is received afterwards and the timer is cleared', async () => {
    const { pinger, a, b } = await pair(1, 20, { ignoreFirst: 1_000 });
    await waitUntil(() => b.stats.received >= 1, 2000);
    a.stop();
    b.stop();
    const transmissions = pinger.transmissions;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(pinger.transmissions).toBe(transmissions);
    expect(pinger.onWake).toBeUndefined();
    expect(await a.stopped).toBeUndefined();
  });
});
