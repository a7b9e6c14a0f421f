import diagnosticsChannel from 'node:diagnostics_channel';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { Rng } from '@dtls-kit/test-kit';
import { describe, expect, it } from 'vitest';
import { CHANNELS, connect, createServer } from '../src/index.js';
import { clientPsk, serverPsk } from './helpers.js';

interface RelayStats {
  forwarded: number;
  dropped: number;
  duplicated: number;
  delayed: number;
}

/**
 * A lossy UDP relay on 127.0.0.1: each client gets its own upstream socket (so the server sees
 * one peer per client); every datagram in either direction is dropped, duplicated or delayed
 * (reordered) by a seeded RNG.
 */
async function startRelay(target: number, seed: number, loss: number): Promise<{ port: number; stats: RelayStats; close: () => Promise<void> }> {
  const rng = new Rng(seed);
  const stats: RelayStats = { forwarded: 0, dropped: 0, duplicated: 0, delayed: 0 };
  const front = dgram.createSocket('udp4');
  const upstreams = new Map<string, dgram.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const impair = (send: () => void): void => {
    if (rng.chance(loss)) {
      stats.dropped++;
      return;
    }
    const copies = rng.chance(0.05) ? 2 : 1;
    if (copies === 2) stats.duplicated++;
    for (let i = 0; i < copies; i++) {
      if (rng.chance(0.1)) {
        stats.delayed++;
        const t = setTimeout(() => {
          timers.delete(t);
          send();
        }, rng.range(5, 40));
        timers.add(t);
      } else {
        send();
      }
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
  it('100 handshakes through a relay losing 20% of datagrams (and duplicating, reordering) all complete', async () => {
    const retransmit = { initialMs: 100, maxMs: 800 };
    const server = createServer({ psk: serverPsk(), retransmit, handshakeTimeoutMs: 25_000 });
    const { port } = await server.listen(0, '127.0.0.1');
    const relay = await startRelay(port, 20_260_101, 0.2);
    const retransmissions = { client: 0, server: 0 };
    const onRetransmit = (m: unknown): void => void retransmissions[(m as { role: 'client' | 'server' }).role]++;
    diagnosticsChannel.subscribe(CHANNELS.retransmit, onRetransmit);
    try {
      const clients = await Promise.all(
        Array.from({ length: 100 }, () => connect({ host: '127.0.0.1', port: relay.port, psk: clientPsk(), retransmit, handshakeTimeoutMs: 25_000 })),
      );
      expect(clients.every((c) => c.state === 'established')).toBe(true);
      expect(server.stats.established).toBe(100);
      expect(relay.stats.dropped).toBeGreaterThan(50);
      expect(retransmissions.client).toBeGreaterThan(10);
      expect(retransmissions.server).toBeGreaterThan(0);
      for (const c of clients) c.destroy();
    } finally {
      diagnosticsChannel.unsubscribe(CHANNELS.retransmit, onRetransmit);
      await server.close();
      await relay.close();
    }
  });
});
