import { afterEach, describe, expect, it } from 'vitest';
import { DtlsError, createBlockingServer, runBlockingClient, type BlockingServer } from '../src/index.js';
import { clientCredentials, fixture, serverCredentials, until, type RoundTripResult } from './helpers.js';

let server: BlockingServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('blocking PSK echo: our server, our client', () => {
  it('echoes, in workers on both sides', async () => {
    server = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: serverCredentials, maxThreads: 2 });
    const { port } = await server.listen(0, '127.0.0.1');
    const r = await runBlockingClient<RoundTripResult>({
      handler: fixture('client-roundtrip.mjs'),
      port,
      credentials: clientCredentials,
      args: { messages: ['hello', 'second', 'whoami'] },
    });
    expect(r.replies.slice(0, 2)).toEqual(['hello', 'second']);
    const who = JSON.parse(r.replies[2] ?? '{}') as { threadId: number; identity: string; cipher: string };
    expect(who.threadId).not.toBe(0); // the server's engine and handler ran in a worker
    expect(who.identity).toBe('Client_identity');
    expect(r.threadId).not.toBe(0); // and the client's
    expect(r.cipher).toBe(who.cipher);
    await until(() => server!.stats.completed === 1, 5000, 'server connection to end');
    expect(server.stats.handlerErrors).toBe(0);
  });

  it('credentials from a module with an asynchronous PSK lookup', async () => {
    server = createBlockingServer({
      handler: fixture('echo-handler.mjs'),
      credentials: { module: fixture('async-psk-credentials.mjs'), args: { key: '000102030405060708090a0b0c0d0e0f' } },
      maxThreads: 1,
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const r = await runBlockingClient<RoundTripResult>({ handler: fixture('client-roundtrip.mjs'), port, credentials: clientCredentials, args: { messages: ['async'] } });
    expect(r.replies).toEqual(['async']);
  });

  it('recv timeout is a typed error; a wrong key fails the handshake with an alert', async () => {
    server = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: serverCredentials, maxThreads: 2 });
    const { port } = await server.listen(0, '127.0.0.1');
    const r = await runBlockingClient<RoundTripResult>({
      handler: fixture('client-roundtrip.mjs'),
      port,
      credentials: clientCredentials,
      args: { messages: ['x'], expectTimeoutMs: 100 },
    });
    expect(r.timedOut).toBe('BlockingTimeoutError');
    // The server's alert for a wrong key: DTLS 1.3 checks the PSK binder, decrypt_error (RFC 8446
    // 4.2.11); DTLS 1.2 cannot decrypt the client's Finished, bad_record_mac (RFC 5246 7.2.2).
    for (const [maxVersion, alertName] of [['DTLSv1.3', 'decrypt_error'], ['DTLSv1.2', 'bad_record_mac']] as const) {
      const bad = runBlockingClient({
        handler: fixture('client-roundtrip.mjs'),
        port,
        credentials: { psk: { identity: 'Client_identity', key: 'ff'.repeat(16) } },
        maxVersion,
      });
      await expect(bad).rejects.toBeInstanceOf(DtlsError);
      await expect(bad).rejects.toThrow(/handshake failed/);
      // Rebuilt from the worker as core's DtlsError: the server's alert, by number and by name.
      await expect(bad).rejects.toMatchObject({ alertName, fromPeer: true });
    }
  });

  it('a throwing handler ends its connection with an alert, frees its worker, the server lives on', async () => {
    server = createBlockingServer({ handler: fixture('throwing-handler.mjs'), credentials: serverCredentials, maxThreads: 1, maxQueue: 0 });
    const errors: unknown[] = [];
    server.on('connectionError', (e) => errors.push(e));
    const { port } = await server.listen(0, '127.0.0.1');
    for (let i = 0; i < 2; i++) {
      // The client sees the server's fatal internal_error alert instead of an echo.
      await expect(
        runBlockingClient({ handler: fixture('client-roundtrip.mjs'), port, credentials: clientCredentials, args: { messages: ['boom'] } }),
      ).rejects.toThrow(/internal_error/);
      await until(() => server!.stats.active === 0, 5000, 'worker freed');
    }
    expect(server.stats.handlerErrors).toBe(2);
    expect(String(errors[0])).toMatch(/handler exploded/);
  });

  it('server close with a connection open: the handler sees recv() return null, the client sees the close', async () => {
    server = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: serverCredentials, maxThreads: 1 });
    const { port } = await server.listen(0, '127.0.0.1');
    const client = runBlockingClient<string[]>({ handler: fixture('client-until-close.mjs'), port, credentials: clientCredentials });
    // Established on the server's side (its last flight sent), then a little time for that flight
    // to reach the client: on a loaded machine 100 ms after the worker merely started was not always enough.
    await until(() => server!.stats.active === 1 && server!.stats.handshakes === 0, 5000, 'connection');
    await new Promise((r) => setTimeout(r, 100));
    await server.close();
    server = undefined;
    expect(await client).toEqual(['hi']);
  });
});
