import dgram from 'node:dgram';
import { once } from 'node:events';
import { Rng } from './rng.js';

export interface LossyRelayStats {
  forwarded: number;
  dropped: number;
  duplicated: number;
  delayed: number;
}

/**
 * A lossy UDP relay on 127.0.0.1 between real clients and a server at `target`: each client gets
 * its own upstream socket (so the server sees one peer per client); every datagram in either
 * direction is dropped with probability `loss`, duplicated (5%) or delayed 5–40 ms (10%,
 * reordering it), by a seeded RNG.
 */
export async function startLossyRelay(
  target: number,
  seed: number,
  loss: number,
): Promise<{ port: number; stats: LossyRelayStats; close: () => Promise<void> }> {
  const rng = new Rng(seed);
  const stats: LossyRelayStats = { forwarded: 0, dropped: 0, duplicated: 0, delayed: 0 };
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
  const safe = (f: () => void) => (): void => {
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
