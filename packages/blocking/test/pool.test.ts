import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { DtlsError, createBlockingClientPool, createBlockingServer, runBlockingClient, type BlockingServer } from '../src/index.js';
import { clientCredentials, fixture, serverCredentials, until, type RoundTripResult } from './helpers.js';

let server: BlockingServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const client = (port: number, gate?: SharedArrayBuffer): Promise<RoundTripResult> =>
  runBlockingClient<RoundTripResult>({ handler: fixture('client-roundtrip.mjs'), port, credentials: clientCredentials, args: { messages: ['ping'], gate } });

const openGate = (gate: SharedArrayBuffer): void => {
  const word = new Int32Array(gate);
  Atomics.store(word, 0, 1);
  Atomics.notify(word, 0);
};

describe('one connection per worker, a bounded queue', () => {
  // The clients of these tests all come from 127.0.0.1 at once: the per-address bound on handshakes
  // in progress (default half the places) would hold the last of them back until its ClientHello
  // retransmission (see per-address.test.ts), so the queue is tested with that bound out of the way.
  it('maxThreads 2, four clients at once: two served, two queued, then served', async () => {
    server = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: serverCredentials, maxThreads: 2, maxQueue: 4, maxHandshakesPerAddress: 6 });
    const { port } = await server.listen(0, '127.0.0.1');
    let maxActive = 0;
    let maxQueued = 0;
    const timer = setInterval(() => {
      const s = server!.stats;
      maxActive = Math.max(maxActive, s.active);
      // Counted while both workers are busy (before that, "queued" includes workers still starting).
      if (s.active === 2) maxQueued = Math.max(maxQueued, s.queued);
    }, 5);
    const gate = new SharedArrayBuffer(4);
    try {
      const pending = [0, 1, 2, 3].map(() => client(port, gate));
      await until(() => server!.stats.active === 2 && server!.stats.queued === 2, 10_000, 'two served, two queued');
      await new Promise((r) => setTimeout(r, 200));
      expect(server.stats.active).toBe(2);
      openGate(gate);
      const results = await Promise.all(pending);
      for (const r of results) expect(r.replies).toEqual(['ping']);
    } finally {
      clearInterval(timer);
    }
    expect(maxActive).toBe(2);
    expect(maxQueued).toBe(2);
    await until(() => server!.stats.completed === 4, 5000, 'all connections to end');
    expect(server.stats.refused).toBe(0);
  });

  it('past the queue bound a connection is refused with a clear error', async () => {
    server = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: serverCredentials, maxThreads: 1, maxQueue: 1, maxHandshakesPerAddress: 2 });
    const { port } = await server.listen(0, '127.0.0.1');
    const gate = new SharedArrayBuffer(4);
    const first = client(port, gate);
    const second = client(port, gate);
    await until(() => server!.stats.active === 1 && server!.stats.queued === 1, 5000, 'one active, one queued');
    const third = client(port);
    await expect(third).rejects.toBeInstanceOf(DtlsError);
    await expect(third).rejects.toThrow(/DTLS handshake failed: .*peer sent fatal alert internal_error/);
    expect(server.stats.refused).toBe(1);
    openGate(gate);
    expect((await first).replies).toEqual(['ping']);
    expect((await second).replies).toEqual(['ping']);
  });

  it('handshakes run in workers: the main event loop stays responsive during 20 handshakes', async () => {
    server = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: serverCredentials, maxThreads: 4, maxQueue: 32 });
    const { port } = await server.listen(0, '127.0.0.1');
    const pool = createBlockingClientPool({ maxThreads: 4 });
    const h = monitorEventLoopDelay({ resolution: 5 });
    h.enable();
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        runBlockingClient<RoundTripResult>({
          handler: fixture('client-roundtrip.mjs'),
          port,
          pool,
          credentials: clientCredentials,
          // DTLS 1.3 PSK is psk_dhe_ke (RFC 8446 4.2.9): an (EC)DHE key exchange, real public-key
          // work in each handshake, as ECDHE_PSK in 1.2.
          cipherSuites: 'TLS_CHACHA20_POLY1305_SHA256',
          args: { messages: ['whoami'] },
        }),
      ),
    );
    const elapsed = performance.now() - started;
    h.disable();
    await pool.destroy();
    for (const r of results) {
      const who = JSON.parse(r.replies[0] ?? '{}') as { threadId: number; cipher: string };
      expect(who.threadId).toBeGreaterThan(0);
      expect(who.cipher).toBe('TLS_CHACHA20_POLY1305_SHA256');
    }
    const p99 = h.percentile(99) / 1e6;
    console.log(`20 handshakes in ${elapsed.toFixed(0)} ms; main event loop delay p99 ${p99.toFixed(1)} ms, max ${(h.max / 1e6).toFixed(1)} ms`);
    expect(p99).toBeLessThan(100);
  });
});
