/**
 * idleTimeoutMs is the connection's idle time, as in @dtls-kit/nonblocking (server default 5 min,
 * client off): nothing authenticated from the peer for that long closes the connection
 * (close_notify; recv() returns null; 'timeout' on the connection). The worker pool's idle time
 * is workerIdleTimeoutMs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createBlockingClientPool, createBlockingServer, runBlockingClient, type BlockingServer } from '../src/index.js';
import { clientCredentials, fixture, serverCredentials, until } from './helpers.js';

let server: BlockingServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

interface Idle {
  ended: string;
  ms: number;
  timeouts: number;
  closed: boolean;
}

describe('blocking: idleTimeoutMs is the connection idle time', () => {
  it('server idleTimeoutMs: a silent client is closed with close_notify after it', async () => {
    server = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: serverCredentials, idleTimeoutMs: 400, maxThreads: 1 });
    const { port } = await server.listen(0, '127.0.0.1');
    // The client waits up to 10 s; the server's idle timeout ends the connection first.
    const r = await runBlockingClient<Idle>({ handler: fixture('idle-client.mjs'), port, credentials: clientCredentials, args: { message: 'once', recvTimeoutMs: 10_000 } });
    console.log(`blocking: server idle timeout 400 ms closed a silent client after ${Math.round(r.ms)} ms`);
    expect(r.ended).toBe('null'); // close_notify from the server
    expect(r.ms).toBeGreaterThanOrEqual(100);
    expect(r.ms).toBeLessThan(5000);
    expect(r.timeouts).toBe(0); // it was the server's timeout, not the client's
    await until(() => server!.stats.completed === 1, 5000, 'server connection to end');
    expect(server.stats.handlerErrors).toBe(0);
  });

  it('client idleTimeoutMs: recv() without a timeout returns null once the server has been silent that long', async () => {
    server = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: serverCredentials, maxThreads: 1 });
    const { port } = await server.listen(0, '127.0.0.1');
    const r = await runBlockingClient<Idle>({ handler: fixture('idle-client.mjs'), port, credentials: clientCredentials, idleTimeoutMs: 300 });
    console.log(`blocking: client idle timeout 300 ms ended recv() after ${Math.round(r.ms)} ms`);
    expect(r.ended).toBe('null');
    expect(r.timeouts).toBe(1);
    expect(r.closed).toBe(true);
    expect(r.ms).toBeLessThan(5000);
    // Its close_notify reached the server's handler, whose recv() returned null.
    await until(() => server!.stats.completed === 1, 5000, 'server connection to end');
  });

  it('traffic keeps a connection open past its idle timeout; the defaults and bad values', async () => {
    server = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: serverCredentials, idleTimeoutMs: 300, maxThreads: 1 });
    const { port } = await server.listen(0, '127.0.0.1');
    const pool = createBlockingClientPool({ maxThreads: 1, workerIdleTimeoutMs: 100 });
    try {
      const r = await runBlockingClient<{ replies: string[] }>({
        handler: fixture('client-roundtrip.mjs'),
        port,
        pool,
        credentials: clientCredentials,
        // Ten echoes 100 ms apart: 1 s in all, each gap well inside the 300 ms idle time.
        args: { messages: Array.from({ length: 10 }, (_, i) => `m${i}`), pauseMs: 100 },
      });
      expect(r.replies).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
    } finally {
      await pool.destroy();
    }
    expect(() => createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: serverCredentials, idleTimeoutMs: -1 })).toThrow(/idleTimeoutMs must be an integer >= 0/);
    expect(() => createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: serverCredentials, workerIdleTimeoutMs: 1.5 })).toThrow(/workerIdleTimeoutMs/);
    await expect(runBlockingClient({ handler: fixture('idle-client.mjs'), port, credentials: clientCredentials, idleTimeoutMs: -5 })).rejects.toThrow(RangeError);
  });
});
