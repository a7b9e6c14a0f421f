import dgram from 'node:dgram';
import { once } from 'node:events';
import { Rng } from '@dtls-kit/test-kit';
import { describe, expect, it } from 'vitest';
import { createBlockingClientPool, createBlockingServer, runBlockingClient } from '../src/index.js';
import { clientCredentials, fixture, serverCredentials } from './helpers.js';

/** A lossy UDP relay (one upstream socket per client): drops, duplicates and delays datagrams, seeded. */
async function startRelay(target: number, seed: number, loss: number) {
  const rng = new Rng(seed);
  const stats = { forwarded: 0, dropped: 0 };
  const front = dgram.createSocket('udp4');
  const upstreams = new Map<string, dgram.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const impair = (send: () => void): void => {
    if (rng.chance(loss)) {
      stats.dropped++;
      return;
    }
    const copies = rng.chance(0.05) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      if (rng.chance(0.1)) {
        const t = setTimeout(() => {
          timers.delete(t);
          send();
        }, rng.range(5, 40));
        timers.add(t);
      } else send();
      stats.forwarded++;
    }
  };
  const safe = (f: () => void) => () => {
    try {
      f();
    } catch {
      // closed
    }
  };
  front.on('message', (msg, rinfo) => {
    const key = `${rinfo.address}:${rinfo.port}`;
    let up = upstreams.get(key);
    if (!up) {
      const socket = dgram.createSocket('udp4');
      socket.bind(0, '127.0.0.1');
      socket.on('message', (reply) => impair(safe(() => front.send(reply, rinfo.port, rinfo.address))));
      upstreams.set(key, socket);
      up = socket;
    }
    const u = up;
    impair(safe(() => u.send(msg, target, '127.0.0.1')));
  });
  front.bind(0, '127.0.0.1');
  await once(front, 'listening');
  return {
    port: front.address().port,
    stats,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      await Promise.all([front, ...upstreams.values()].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}

describe('a lossy network', () => {
  it('50 handshakes through a relay losing 20% of datagrams all complete', async () => {
    const options = { retransmit: { initialMs: 100, maxMs: 800 }, handshakeTimeoutMs: 25_000 };
    const server = createBlockingServer({
      handler: fixture('lossy-server.mjs'),
      credentials: serverCredentials,
      options,
      args: { firstMs: 20_000, idleMs: 500 },
      maxThreads: 16,
      maxQueue: 64,
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const relay = await startRelay(port, 20_260_101, 0.2);
    const pool = createBlockingClientPool({ maxThreads: 8 });
    try {
      const results = await Promise.all(
        Array.from({ length: 50 }, () =>
          runBlockingClient<string>({ handler: fixture('lossy-client.mjs'), port: relay.port, pool, credentials: clientCredentials, options }),
        ),
      );
      // The client handler runs only once its handshake completed; most pings come back too.
      expect(results.length).toBe(50);
      expect(results.filter((r) => r === 'ping').length).toBeGreaterThan(40);
      expect(server.stats.handshakeFailures).toBe(0);
      expect(relay.stats.dropped).toBeGreaterThan(30);
    } finally {
      await pool.destroy();
      await server.close();
      await relay.close();
    }
    expect(server.stats.refused).toBe(0);
  }, 40_000);
});
