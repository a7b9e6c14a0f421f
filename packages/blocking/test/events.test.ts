/**
 * The server's events at the moments @dtls-kit/nonblocking has them: 'connection' once the
 * handshake is done, and a failed handshake is a 'connectionError', never a connection.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AlertDescription, DtlsError } from '@dtls-kit/core';
import { createBlockingServer, runBlockingClient, type BlockingConnection, type BlockingServer, type ConnectionErrorStage, type Remote } from '../src/index.js';
import { clientCredentials, fixture, serverCredentials, until, type RoundTripResult } from './helpers.js';

let server: BlockingServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("blocking server: 'connection' after the handshake", () => {
  it("fires once the handshake is done, for an established connection only", async () => {
    server = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: serverCredentials, maxThreads: 2 });
    const seen: { remote: Remote; handshakes: number; active: number }[] = [];
    server.on('connection', (remote) => seen.push({ remote, handshakes: server!.stats.handshakes, active: server!.stats.active }));
    const { port } = await server.listen(0, '127.0.0.1');
    const r = await runBlockingClient<RoundTripResult>({ handler: fixture('client-roundtrip.mjs'), port, credentials: clientCredentials, args: { messages: ['hi'] } });
    expect(r.replies).toEqual(['hi']);
    await until(() => seen.length === 1, 5000, "'connection'");
    // When it fired, no handshake was in progress any more: the one connection was established.
    expect(seen[0]?.handshakes).toBe(0);
    expect(seen[0]?.active).toBe(1);
    expect(seen[0]?.remote.address).toBe('127.0.0.1');
  });

  // The server cannot verify the client: in DTLS 1.3 the PSK binder, decrypt_error (RFC 8446
  // 4.2.11); in DTLS 1.2 the client's Finished, bad_record_mac (RFC 5246 7.2.2).
  it.each([
    ['DTLSv1.3', 'decrypt_error'],
    ['DTLSv1.2', 'bad_record_mac'],
  ] as const)("a client with the wrong key is a 'connectionError' (stage 'handshake', a DtlsError), not a 'connection' (%s: %s)", async (maxVersion, alertName) => {
    server = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: serverCredentials, maxThreads: 2 });
    let connections = 0;
    const errors: { error: Error; stage: ConnectionErrorStage }[] = [];
    server.on('connection', () => connections++);
    server.on('connectionError', (error, stage) => errors.push({ error, stage }));
    const { port } = await server.listen(0, '127.0.0.1');
    const bad = runBlockingClient({ handler: fixture('client-roundtrip.mjs'), port, credentials: { psk: { identity: 'Client_identity', key: 'ff'.repeat(16) } }, maxVersion });
    await expect(bad).rejects.toBeInstanceOf(DtlsError);
    await until(() => errors.length === 1 && server!.stats.completed === 1, 5000, "'connectionError'");
    expect(errors[0]?.stage).toBe('handshake');
    const error = errors[0]?.error;
    expect(error).toBeInstanceOf(DtlsError);
    expect(error instanceof DtlsError && error.alertName).toBe(alertName);
    expect(error instanceof DtlsError && error.alert).toBe(AlertDescription[alertName]);
    expect(connections).toBe(0);
  });

  it('events are typed: names outside BlockingServerEvents and wrong listener arguments do not compile', async () => {
    const s = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: serverCredentials, maxThreads: 1 });
    const seen: string[] = [];
    // Checked by tsc (the package's test script runs it over test/): each line below must fail to compile.
    // @ts-expect-error 'conection' is not an event of BlockingServer
    s.on('conection', () => seen.push('misspelt'));
    // @ts-expect-error a 'connectionError' stage is a ConnectionErrorStage, not a number
    s.on('connectionError', (_error: Error, stage: number) => seen.push(String(stage)));
    // @ts-expect-error 'connection' gives a Remote, not a string
    s.once('connection', (remote: string) => seen.push(remote));
    s.on('connection', (remote) => seen.push(remote.address));
    s.on('close', () => seen.push('close'));
    // The same for a handler's connection (only compiled here: a connection exists in a worker).
    const typedHandler = (conn: BlockingConnection): void => {
      // @ts-expect-error 'timout' is not an event of BlockingConnection
      conn.on('timout', () => undefined);
      conn.on('timeout', () => undefined);
      conn.on('remoteAddressChange', (current) => current.family);
    };
    expect(typeof typedHandler).toBe('function');
    await s.close();
    expect(seen).toEqual(['close']);
  });

  it("stats has @dtls-kit/nonblocking's counters too: datagrams, helloVerifyRequests, accepted, established, dropped, connections", async () => {
    server = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: serverCredentials, maxThreads: 2 });
    const { port } = await server.listen(0, '127.0.0.1');
    const ok = await runBlockingClient<RoundTripResult>({ handler: fixture('client-roundtrip.mjs'), port, credentials: clientCredentials, args: { messages: ['one'] } });
    expect(ok.replies).toEqual(['one']);
    await expect(
      runBlockingClient({ handler: fixture('client-roundtrip.mjs'), port, credentials: { psk: { identity: 'Client_identity', key: 'ff'.repeat(16) } } }),
    ).rejects.toBeInstanceOf(DtlsError);
    // Not a DTLS record: the cookie check drops it.
    const { createSocket } = await import('node:dgram');
    const junk = createSocket('udp4');
    await new Promise<void>((resolve) => junk.send(Buffer.from('not dtls'), port, '127.0.0.1', () => resolve()));
    junk.close();
    await until(() => server!.stats.completed === 2 && server!.stats.dropped.notClientHello === 1, 5000, 'both connections to end');
    const stats = server.stats;
    console.log(`blocking stats: ${JSON.stringify(stats)}`);
    expect(stats.helloVerifyRequests).toBe(2);
    expect(stats.accepted).toBe(2);
    expect(stats.established).toBe(1);
    expect(stats.handshakeFailures).toBe(1);
    expect(stats.connections).toBe(0);
    // (dropped is by reason now: the junk datagram is notClientHello.)
    expect(stats.dropped.notClientHello).toBe(1);
    // Two ClientHellos each, the handshakes' later flights, the echo, the close_notify, the junk.
    expect(stats.datagrams).toBeGreaterThanOrEqual(2 * 2 + 3);
  });
});
