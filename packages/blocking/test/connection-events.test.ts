/**
 * BlockingConnection's node:net surface, the same as @dtls-kit/nonblocking's socket (issue 14):
 * setTimeout(ms, cb) (an inactivity 'timeout' that closes nothing), 'close' with hadError, and
 * 'error' (only to a listener) before it. The handlers run in workers; what they saw comes back
 * as their result (a client) or over a BroadcastChannel (a server).
 */
import { randomUUID } from 'node:crypto';
import { BroadcastChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { createBlockingServer, runBlockingClient, type BlockingServer } from '../src/index.js';
import { clientCredentials, fixture, serverCredentials } from './helpers.js';

let server: BlockingServer | undefined;
let channel: BroadcastChannel | undefined;
afterEach(async () => {
  channel?.close();
  channel = undefined;
  await server?.close();
  server = undefined;
});

interface Ended {
  events: string[];
  ended: string;
}

interface ClientEnded extends Ended {
  error: string | null;
}

function isEnded(value: unknown): value is Ended {
  return typeof value === 'object' && value !== null && 'events' in value && Array.isArray(value.events) && 'ended' in value && typeof value.ended === 'string';
}

/** A server whose handler reports its connection's events; resolves with its port and the next report. */
async function reportingServer(): Promise<{ port: number; report: Promise<Ended> }> {
  const name = `blocking-close-events-${randomUUID()}`;
  const ch = new BroadcastChannel(name);
  channel = ch;
  const report = new Promise<Ended>((resolve) => {
    ch.onmessage = (event) => {
      const data: unknown = event.data;
      if (isEnded(data)) resolve(data);
    };
  });
  server = createBlockingServer({ handler: fixture('close-events-handler.mjs'), credentials: serverCredentials, args: { channel: name }, maxThreads: 1 });
  const { port } = await server.listen(0, '127.0.0.1');
  return { port, report };
}

function client(port: number, args: Record<string, unknown>, idleTimeoutMs?: number): Promise<ClientEnded> {
  return runBlockingClient<ClientEnded>({ handler: fixture('close-events-client.mjs'), port, credentials: clientCredentials, args, idleTimeoutMs });
}

describe("'close' with hadError, as @dtls-kit/nonblocking's", () => {
  it('false on both ends after close_notify: the server closes', async () => {
    const { port, report } = await reportingServer();
    const c = await client(port, { send: 'close', listenError: true });
    expect(c).toEqual({ events: ['close:false'], ended: 'null', error: null });
    expect(await report).toEqual({ events: ['close:false'], ended: 'null' });
  });

  it('false on both ends after close_notify: the client closes (emitted from inside its close())', async () => {
    const { port, report } = await reportingServer();
    const c = await client(port, { send: 'hello', closeFirst: true });
    expect(c).toEqual({ events: ['close:false', 'closed'], ended: 'null', error: null });
    expect(await report).toEqual({ events: ['close:false'], ended: 'null' });
  });

  it("true after a fatal alert, with 'error' first when listened for; the server's handler failed", async () => {
    const { port, report } = await reportingServer();
    const c = await client(port, { send: 'abort', listenError: true });
    expect(c).toEqual({ events: ['error:internal_error', 'close:true'], ended: 'DtlsError:internal_error', error: 'internal_error' });
    // Without an 'error' listener, nothing is emitted as 'error' (which would throw): recv() throws the DtlsError.
    expect((await report).ended).toBe('abort');
    await server?.close();
    const again = await reportingServer();
    const quiet = await client(again.port, { send: 'abort' });
    expect(quiet).toEqual({ events: ['close:true'], ended: 'DtlsError:internal_error', error: 'internal_error' });
  });

  it("true on the server when the client's handler failed (its worker sent internal_error)", async () => {
    const { port, report } = await reportingServer();
    await expect(client(port, { send: 'hello', throw: true })).rejects.toThrow(/the client handler gives up/);
    expect(await report).toEqual({ events: ['error:internal_error', 'close:true'], ended: 'DtlsError:internal_error' });
  });

  it("an idle timeout: 'timeout', then 'close' with hadError false", async () => {
    const { port } = await reportingServer();
    const c = await client(port, {}, 300);
    expect(c).toEqual({ events: ['timeout', 'close:false'], ended: 'null', error: null });
  });
});

describe('setTimeout (as node:net and @dtls-kit/nonblocking)', () => {
  it("emits 'timeout' after the quiet time, calls the callback once, closes nothing, re-arms after activity", async () => {
    server = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: serverCredentials, maxThreads: 1 });
    const { port } = await server.listen(0, '127.0.0.1');
    const r = await runBlockingClient<{
      returned: boolean;
      first: string;
      afterQuiet: { timeouts: number; callbacks: number; closed: boolean; firstAt: number };
      echo: string;
      afterWake: { timeouts: number; callbacks: number };
      duringTraffic: number;
      afterOff: number;
      rangeError: boolean;
    }>({ handler: fixture('set-timeout-client.mjs'), port, credentials: clientCredentials });
    console.log(`blocking setTimeout(150): 'timeout' after ${r.afterQuiet.firstAt.toFixed(0)} ms`);
    expect(r.returned).toBe(true);
    // The recv(700) it interrupted went on and ended with its own timeout.
    expect(r.first).toBe('BlockingTimeoutError');
    // Once per quiet spell (not every 150 ms), the callback once, nothing closed.
    expect(r.afterQuiet).toMatchObject({ timeouts: 1, callbacks: 1, closed: false });
    expect(r.afterQuiet.firstAt).toBeGreaterThanOrEqual(140);
    expect(r.afterQuiet.firstAt).toBeLessThan(700);
    // Activity (a send and the echo back) re-arms it; the one-time callback is gone.
    expect(r.echo).toBe('wake');
    expect(r.afterWake).toEqual({ timeouts: 2, callbacks: 1 });
    expect(r.duringTraffic).toBe(0);
    // 0 turns it off.
    expect(r.afterOff).toBe(0);
    expect(r.rangeError).toBe(true);
  });
});
