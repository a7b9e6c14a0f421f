/**
 * runBlockingClient with no server to talk to fails with the reason, as @dtls-kit/nonblocking's
 * connect() does: ICMP port unreachable is ECONNREFUSED within milliseconds (the worker's
 * handshake is stopped), silence is "no reply from HOST:PORT within N ms" (ETIMEDOUT).
 */
import { HANDSHAKE_TYPE, closedUdpPort, silentUdpPort, startFaultRelay, type FaultRelay, type SilentUdpPort } from '@dtls-kit/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DtlsError,
  ConnectionRefusedError,
  NoReplyError,
  createBlockingServer,
  runBlockingClient,
  type BlockingServer,
} from '../src/index.js';
import { clientCredentials, fixture, serverCredentials, until, type RoundTripResult } from './helpers.js';

let server: BlockingServer | undefined;
let relay: FaultRelay | undefined;
const silent: SilentUdpPort[] = [];
afterEach(async () => {
  await relay?.close();
  relay = undefined;
  await server?.close();
  server = undefined;
  await Promise.all(silent.splice(0).map((s) => s.close()));
});

/** A UDP socket that takes every datagram and never answers, closed after the test. */
async function silentPort(): Promise<SilentUdpPort> {
  const s = await silentUdpPort();
  silent.push(s);
  return s;
}

async function failure(pending: Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = performance.now();
  const error = await pending.then(
    () => undefined,
    (e: unknown) => e,
  );
  return { error, ms: performance.now() - started };
}

const roundTrip = { handler: fixture('client-roundtrip.mjs'), credentials: clientCredentials, args: { messages: ['x'] } };

describe('runBlockingClient to a closed port', () => {
  // The old client waited for the engine's 60 s handshake deadline: the 3 s test timeout tells them apart.
  it('rejects within a second with ConnectionRefusedError (ECONNREFUSED, the address, the system error)', async () => {
    const port = await closedUdpPort();
    const { error, ms } = await failure(runBlockingClient({ ...roundTrip, host: '127.0.0.1', port }));
    console.log(`blocking: closed port 127.0.0.1:${port} refused after ${ms.toFixed(1)} ms (worker start included)`);
    expect(error).toBeInstanceOf(ConnectionRefusedError);
    expect(error).not.toBeInstanceOf(DtlsError); // no alert was sent or received
    expect(error).toMatchObject({
      name: 'ConnectionRefusedError',
      code: 'ECONNREFUSED',
      syscall: 'connect',
      address: '127.0.0.1',
      port,
      message: `connect ECONNREFUSED 127.0.0.1:${port} (no DTLS server: ICMP port unreachable)`,
    });
    expect((error as Error).cause).toMatchObject({ code: 'ECONNREFUSED' });
    expect(ms).toBeLessThan(2000);
  }, 3000);

  it('does the same over IPv6 (::1)', async () => {
    const port = await closedUdpPort('udp6', '::1');
    const { error, ms } = await failure(runBlockingClient({ ...roundTrip, host: '::1', port }));
    console.log(`blocking: closed port [::1]:${port} refused after ${ms.toFixed(1)} ms`);
    expect(error).toMatchObject({ code: 'ECONNREFUSED', address: '::1', port });
    expect(ms).toBeLessThan(2000);
  }, 3000);

  it('names the resolved address when given a host name', async () => {
    const port = await closedUdpPort();
    const { error } = await failure(runBlockingClient({ ...roundTrip, host: 'localhost', port }));
    expect(error).toMatchObject({ code: 'ECONNREFUSED', address: '127.0.0.1', port });
  }, 3000);
});

describe('runBlockingClient when nothing answers', () => {
  it('rejects after handshakeTimeoutMs with NoReplyError: "no reply from HOST:PORT within N ms", ETIMEDOUT', async () => {
    const silent = await silentPort();
    const { error, ms } = await failure(
      runBlockingClient({ ...roundTrip, host: '127.0.0.1', port: silent.port, handshakeTimeoutMs: 500, retransmit: { initialMs: 100 } }),
    );
    console.log(`blocking: silent 127.0.0.1:${silent.port}: ${(error as Error).message} (after ${ms.toFixed(1)} ms, ${silent.received()} ClientHellos sent)`);
    expect(error).toBeInstanceOf(NoReplyError);
    expect(error).toMatchObject({ name: 'NoReplyError', code: 'ETIMEDOUT', address: '127.0.0.1', port: silent.port, timeoutMs: 500 });
    expect((error as Error).message).toBe(`no reply from 127.0.0.1:${silent.port} within 500 ms`);
    // What ended the worker's handshake, kept as the cause: the engine's deadline.
    expect((error as Error).cause).toBeInstanceOf(DtlsError);
    expect((error as Error).cause).toMatchObject({ fromPeer: false, message: expect.stringMatching(/did not complete within 500 ms/) });
    expect(silent.received()).toBeGreaterThanOrEqual(2);
    expect(ms).toBeLessThan(3000);
  });

  it('keeps the engine timeout, not from the peer, when the server answered and the handshake then stalled', async () => {
    server = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: serverCredentials, maxThreads: 1 });
    const { port } = await server.listen(0, '127.0.0.1');
    // The first ClientHello gets its HelloVerifyRequest; the one with the cookie never arrives.
    relay = await startFaultRelay({
      target: port,
      seed: 1,
      rules: [{ direction: 'toServer', match: { handshakeType: HANDSHAKE_TYPE.clientHello }, skip: 1, times: Infinity, action: { kind: 'drop' } }],
    });
    const { error } = await failure(
      runBlockingClient({ ...roundTrip, host: '127.0.0.1', port: relay.port, handshakeTimeoutMs: 500, retransmit: { initialMs: 100 } }),
    );
    console.log(`blocking: stalled after the HelloVerifyRequest: ${(error as Error).message}`);
    expect(error).toBeInstanceOf(DtlsError);
    expect((error as DtlsError).fromPeer).toBe(false);
    expect((error as Error).message).toMatch(/^DTLS handshake failed: .*did not complete within 500 ms$/);
    expect((error as Error).message).not.toMatch(/peer|received|from the server/);
  });

  it('still connects and runs the handler when the server is there (the refusal watch ends with the handshake)', async () => {
    server = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: serverCredentials, maxThreads: 1 });
    const { port } = await server.listen(0, '127.0.0.1');
    const r = await runBlockingClient<RoundTripResult>({ ...roundTrip, host: '127.0.0.1', port, args: { messages: ['there'] } });
    expect(r.replies).toEqual(['there']);
  });

  it.each(['DTLSv1.3', 'DTLSv1.2'] as const)('after the handshake ICMP errors are UDP semantics: a server gone mid-connection is a recv() timeout, not a close (%s)', async (maxVersion) => {
    server = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: serverCredentials, maxThreads: 1 });
    const { port } = await server.listen(0, '127.0.0.1');
    relay = await startFaultRelay({ target: port, seed: 1 });
    // [0]: the test took the server away; [1]: the client got its first echo.
    const gate = new SharedArrayBuffer(8);
    const pending = runBlockingClient<{ first: string | null; after: string }>({
      handler: fixture('client-outlives-server.mjs'),
      credentials: clientCredentials,
      host: '127.0.0.1',
      port: relay.port,
      maxVersion,
      args: { gate },
    });
    await until(() => Atomics.load(new Int32Array(gate), 1) === 1, 5000, 'the echo of "before"');
    await relay.close(); // the relay's port is closed now: the client's next datagram meets ICMP port unreachable
    relay = undefined;
    Atomics.store(new Int32Array(gate), 0, 1);
    Atomics.notify(new Int32Array(gate), 0);
    expect(await pending).toEqual({ first: 'before', after: 'BlockingTimeoutError' });
  });
});
