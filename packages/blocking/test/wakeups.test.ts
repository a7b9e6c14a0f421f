/**
 * The wake-up protocol of the links (ring.ts: Link.wake / Link.sleep): a producer notifies its
 * consumer only when the consumer said it sleeps, so a datagram that arrives while the consumer
 * decides to sleep must still be seen. Many small bursts through every path that sleeps: a client
 * worker and a server worker on their rings, both main threads on their workers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createBlockingClientPool, createBlockingServer, runBlockingClient, type BlockingServer } from '../src/index.js';
import { clientCredentials, fixture, serverCredentials } from './helpers.js';

let server: BlockingServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

interface Bursts {
  echoed: number;
  lost: string | undefined;
}

describe('wake-ups', () => {
  it('no wake-up is lost: 4 connections x 400 bursts of 1..8 messages, every echo comes back, no recv() times out', async () => {
    server = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: serverCredentials, maxThreads: 4, idleTimeoutMs: 0 });
    const { port } = await server.listen(0, '127.0.0.1');
    const pool = createBlockingClientPool({ maxThreads: 4 });
    try {
      const rounds = 400;
      const results = await Promise.all(
        [0, 1, 2, 3].map(() =>
          runBlockingClient<Bursts>({ handler: fixture('burst-client.mjs'), port, pool, credentials: clientCredentials, args: { rounds, recvTimeoutMs: 10_000 } }),
        ),
      );
      // (1 + 2 + ... + 8) per 8 rounds
      const expected = (rounds / 8) * 36;
      for (const r of results) expect(r).toEqual({ echoed: expected, lost: undefined });
      expect(server.stats.inboundDropped).toBe(0);
    } finally {
      await pool.destroy();
    }
  }, 120_000);
});
