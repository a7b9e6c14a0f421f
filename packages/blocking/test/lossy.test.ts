import { startLossyRelay } from '@dtls-kit/test-kit';
import { describe, expect, it } from 'vitest';
import { createBlockingClientPool, createBlockingServer, runBlockingClient } from '../src/index.js';
import { clientCredentials, fixture, serverCredentials } from './helpers.js';

describe('a lossy network', () => {
  // handshakes 'main' with DTLS 1.2 clients: the main thread's one timer retransmits every handshake's flights.
  it.each([
    ['worker', undefined],
    ['main', 'DTLSv1.2'],
  ] as const)('50 handshakes through a relay losing a fifth of the datagrams all complete (handshakes %s)', async (handshakes, maxVersion) => {
    const options = { retransmit: { initialMs: 100, maxMs: 800 }, handshakeTimeoutMs: 25_000 };
    const server = createBlockingServer({
      handler: fixture('lossy-server.mjs'),
      credentials: serverCredentials,
      ...options,
      args: { firstMs: 20_000, idleMs: 500 },
      maxThreads: 16,
      maxQueue: 64,
      handshakes,
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const relay = await startLossyRelay(port, 20_260_101, 0.2);
    const pool = createBlockingClientPool({ maxThreads: 8 });
    try {
      const results = await Promise.all(
        Array.from({ length: 50 }, () =>
          runBlockingClient<string>({ handler: fixture('lossy-client.mjs'), port: relay.port, pool, credentials: clientCredentials, ...options, ...(maxVersion === undefined ? {} : { maxVersion }) }),
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
