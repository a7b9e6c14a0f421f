/**
 * A server worker is long-lived (it serves one connection after another): a handler that ends its
 * worker's thread takes only its own connection with it. The other connections go on, and the
 * next ones get a new worker.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createBlockingServer, runBlockingClient, type BlockingServer, type ConnectionErrorStage } from '../src/index.js';
import { clientCredentials, fixture, serverCredentials, until, type RoundTripResult } from './helpers.js';

let server: BlockingServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('a worker that dies', () => {
  it('takes only its own connection: the one beside it goes on, the next ones get a new worker', async () => {
    server = createBlockingServer({ handler: fixture('exiting-handler.mjs'), credentials: serverCredentials, maxThreads: 2 });
    const { port } = await server.listen(0, '127.0.0.1');
    const errors: ConnectionErrorStage[] = [];
    server.on('connectionError', (_error, stage) => errors.push(stage));
    const gate = new SharedArrayBuffer(4);
    const run = (messages: string[], args: Record<string, unknown> = {}): Promise<RoundTripResult> =>
      runBlockingClient<RoundTripResult>({ handler: fixture('client-roundtrip.mjs'), port, credentials: clientCredentials, args: { messages, recvTimeoutMs: 3000, ...args } });
    // One connection holds a worker (echoed, then waits at the gate) while the other ends its own.
    const beside = run(['before'], { gate });
    await until(() => server!.stats.active === 1, 10_000, 'the first connection in its worker');
    const dying = run(['exit']).catch((error: unknown) => error);
    await until(() => errors.length === 1, 10_000, 'the worker to die');
    expect(errors).toEqual(['worker']);
    Atomics.store(new Int32Array(gate), 0, 1);
    Atomics.notify(new Int32Array(gate), 0);
    expect((await beside).replies).toEqual(['before']);
    await dying;
    // The next connections are served (a new worker took the dead one's place).
    for (const m of ['one', 'two', 'three']) expect((await run([m])).replies).toEqual([m]);
    expect(server.stats.handlerErrors).toBe(1);
    expect(errors).toEqual(['worker']);
  }, 60_000);
});
