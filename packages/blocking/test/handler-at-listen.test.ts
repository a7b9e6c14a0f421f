/**
 * The handler is resolved and loaded at listen() (in a worker, as each connection loads it): a
 * missing or broken handler rejects listen() with a clear error. A connection whose setup fails in
 * its worker is answered with a fatal alert instead of leaving its client to its handshake timeout.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AlertDescription, DtlsError } from '@dtls-kit/core';
import { createBlockingServer, runBlockingClient, type BlockingServer, type ConnectionErrorStage } from '../src/index.js';
import { clientCredentials, fixture, serverCredentials, until } from './helpers.js';

let server: BlockingServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('blocking server: the handler is loaded at listen()', () => {
  it('a handler path that does not exist rejects listen(), naming the path', async () => {
    server = createBlockingServer({ handler: fixture('no-such-handler.mjs'), credentials: serverCredentials, maxThreads: 1 });
    await expect(server.listen(0, '127.0.0.1')).rejects.toThrow(/^listen: handler module file:.*no-such-handler\.mjs could not be loaded: /);
    // Nothing was bound: address() says so, close() ends the pool.
    expect(() => server!.address()).toThrow(/not listening/);
  });

  it('a module without a default export function rejects listen()', async () => {
    server = createBlockingServer({ handler: fixture('not-a-handler.mjs'), credentials: serverCredentials, maxThreads: 1 });
    await expect(server.listen(0, '127.0.0.1')).rejects.toThrow(/listen: handler module .*not-a-handler\.mjs has no default export function/);
  });

  it('a credentials module that does not load, or lacks its export, rejects listen()', async () => {
    server = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: { module: fixture('no-such-credentials.mjs') }, maxThreads: 1 });
    await expect(server.listen(0, '127.0.0.1')).rejects.toThrow(/listen: credentials module .*no-such-credentials\.mjs could not be loaded/);
    await server.close();
    server = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: { module: fixture('broken-credentials.mjs'), export: 'missing' }, maxThreads: 1 });
    await expect(server.listen(0, '127.0.0.1')).rejects.toThrow(/listen: credentials module .*broken-credentials\.mjs has no export "missing"/);
    await server.close();
    server = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: { module: fixture('broken-credentials.mjs'), export: 'notOptions' }, maxThreads: 1 });
    await expect(server.listen(0, '127.0.0.1')).rejects.toThrow(/has no export "notOptions"/);
  });

  it('a connection whose setup fails in its worker: the client gets a fatal internal_error at once, the server a setup connectionError', async () => {
    server = createBlockingServer({
      handler: fixture('echo-handler.mjs'),
      credentials: { module: fixture('broken-credentials.mjs'), export: 'unavailable' },
      maxThreads: 1,
    });
    const errors: { error: Error; stage: ConnectionErrorStage }[] = [];
    server.on('connectionError', (error, stage) => errors.push({ error, stage }));
    const { port } = await server.listen(0, '127.0.0.1');
    const started = performance.now();
    const error = await runBlockingClient({
      handler: fixture('client-roundtrip.mjs'),
      port,
      credentials: clientCredentials,
      handshakeTimeoutMs: 20_000,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    const ms = performance.now() - started;
    console.log(`blocking: setup failure answered in ${Math.round(ms)} ms (handshake timeout 20000 ms)`);
    expect(error).toBeInstanceOf(DtlsError);
    expect(error instanceof DtlsError && error.alert).toBe(AlertDescription.internal_error);
    expect(error instanceof DtlsError && error.fromPeer).toBe(true);
    expect(ms).toBeLessThan(10_000);
    await until(() => errors.length === 1, 5000, "'connectionError'");
    expect(errors[0]?.stage).toBe('setup');
    expect(errors[0]?.error.message).toMatch(/key store unavailable/);
  });

  it('a good handler and credentials still listen and serve', async () => {
    server = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: serverCredentials, maxThreads: 1 });
    const { port } = await server.listen(0, '127.0.0.1');
    const r = await runBlockingClient<{ replies: string[] }>({ handler: fixture('client-roundtrip.mjs'), port, credentials: clientCredentials, args: { messages: ['ok'] } });
    expect(r.replies).toEqual(['ok']);
  });
});
