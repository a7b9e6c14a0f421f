import dgram from 'node:dgram';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { startNatRelay, type NatRelay } from '../src/nat-relay.js';

describe('startNatRelay', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0)) await c();
  });

  it('moves a client to a new source port every rebindEvery datagrams, drops replies to old ports, and sends from a third address', async () => {
    const server = dgram.createSocket('udp4');
    const sources: number[] = [];
    server.on('message', (msg, rinfo) => {
      sources.push(rinfo.port);
      server.send(msg, rinfo.port, rinfo.address);
    });
    server.bind(0, '127.0.0.1');
    await once(server, 'listening');
    cleanup.push(() => new Promise((r) => server.close(() => r())));
    const relay: NatRelay = await startNatRelay({ target: server.address().port, rebindEvery: 3 });
    cleanup.push(() => relay.close());
    const client = dgram.createSocket('udp4');
    client.bind(0, '127.0.0.1');
    await once(client, 'listening');
    cleanup.push(() => new Promise((r) => client.close(() => r())));
    let echoes = 0;
    client.on('message', () => echoes++);
    for (let i = 0; i < 9; i++) {
      client.send(new Uint8Array([i]), relay.port, '127.0.0.1');
      // One at a time: each echo arrives before the next send moves the mapping.
      const deadline = Date.now() + 2000;
      while (echoes < i + 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
    }
    expect(echoes).toBe(9);
    const ports = relay.upstreamPorts(client.address().port);
    expect(ports).toHaveLength(3);
    expect(new Set(ports).size).toBe(3);
    expect(sources).toEqual([ports[0], ports[0], ports[0], ports[1], ports[1], ports[1], ports[2], ports[2], ports[2]]);
    expect(relay.stats.rebinds).toBe(2);

    // The server answers the first (expired) mapping: the relay drops it, like a NAT.
    server.send(new Uint8Array([99]), ports[0] ?? 0, '127.0.0.1');
    const deadline = Date.now() + 2000;
    while (relay.stats.toExpiredMapping < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
    expect(relay.stats.toExpiredMapping).toBe(1);
    expect(echoes).toBe(9);

    const third = await relay.sendFromThirdAddress(new Uint8Array([7]));
    const until = Date.now() + 2000;
    while (sources.length < 10 && Date.now() < until) await new Promise((r) => setTimeout(r, 2));
    expect(sources[9]).toBe(third);
    expect(ports).not.toContain(third);
  });
});
