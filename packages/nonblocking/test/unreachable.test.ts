/**
 * A client with no server to talk to fails with the reason, not after a 30 s handshake deadline
 * with an alert nobody sent: ICMP port unreachable (a closed port) is ECONNREFUSED within
 * milliseconds, silence is "no reply from HOST:PORT within N ms" (ETIMEDOUT).
 */
import { HANDSHAKE_TYPE, closedUdpPort, silentUdpPort, startFaultRelay, type FaultRelay, type SilentUdpPort } from '@dtls-kit/test-kit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConnectionRefusedError, DtlsError, HandshakeTimeoutError, NoReplyError, connect, createServer, type DtlsServer, type DtlsSocket } from '../src/index.js';
import { clientPsk, echo, roundTrip, serverPsk } from './helpers.js';

// `localhost` as many systems resolve it (/etc/hosts: `::1 localhost` before `127.0.0.1 localhost`);
// this machine resolves it to 127.0.0.1 only. Other names resolve as usual.
vi.mock('node:dns/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:dns/promises')>();
  const dualStack = [
    { address: '::1', family: 6 },
    { address: '127.0.0.1', family: 4 },
  ];
  const lookup = (host: string, options?: { all?: boolean; family?: number }): Promise<unknown> => {
    if (host !== 'localhost') return options === undefined ? actual.lookup(host) : actual.lookup(host, { all: options.all === true, family: options.family ?? 0 });
    const found = dualStack.filter((a) => !options?.family || a.family === options.family);
    return Promise.resolve(options?.all === true ? found : found[0]);
  };
  return { ...actual, lookup, default: { ...actual, lookup } };
});

let server: DtlsServer | undefined;
let relay: FaultRelay | undefined;
const silent: SilentUdpPort[] = [];
const clients: DtlsSocket[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await server?.close();
  server = undefined;
  await relay?.close();
  relay = undefined;
  await Promise.all(silent.splice(0).map((s) => s.close()));
});

/** A UDP socket that takes every datagram and never answers, closed after the test. */
async function silentPort(): Promise<SilentUdpPort> {
  const s = await silentUdpPort();
  silent.push(s);
  return s;
}

async function failure(pending: Promise<DtlsSocket>): Promise<{ error: unknown; ms: number }> {
  const started = performance.now();
  const error = await pending.then(
    (s) => {
      clients.push(s);
      return undefined;
    },
    (e: unknown) => e,
  );
  return { error, ms: performance.now() - started };
}

describe('connect() to a closed port', () => {
  // The old client waited for its 30 s handshake deadline: the 3 s test timeout tells them apart.
  it('rejects within a second with ConnectionRefusedError (ECONNREFUSED, the address, the system error)', async () => {
    const port = await closedUdpPort();
    const { error, ms } = await failure(connect({ host: '127.0.0.1', port, psk: clientPsk() }));
    console.log(`nonblocking: closed port 127.0.0.1:${port} refused after ${ms.toFixed(1)} ms`);
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
    const { error, ms } = await failure(connect({ host: '::1', port, psk: clientPsk() }));
    console.log(`nonblocking: closed port [::1]:${port} refused after ${ms.toFixed(1)} ms`);
    expect(error).toMatchObject({ code: 'ECONNREFUSED', address: '::1', port, message: `connect ECONNREFUSED ::1:${port} (no DTLS server: ICMP port unreachable)` });
    expect(ms).toBeLessThan(2000);
  }, 3000);

  it('tries the next address of a host name: localhost as ::1 then 127.0.0.1 reaches a server on 127.0.0.1', async () => {
    server = createServer({ psk: serverPsk() }, echo);
    const { port } = await server.listen(0, '127.0.0.1');
    await closedUdpPort('udp6', '::1', port); // nothing on [::1]:port (bind proves it is free)
    const started = performance.now();
    const client = await connect({ host: 'localhost', port, psk: clientPsk(), servername: '' });
    clients.push(client);
    const ms = performance.now() - started;
    console.log(`nonblocking: localhost -> ::1 refused, 127.0.0.1 connected after ${ms.toFixed(1)} ms`);
    expect(client.remoteAddress).toBe('127.0.0.1');
    expect(await roundTrip(client, 'via the second address')).toBe('via the second address');
    expect(ms).toBeLessThan(2000);
  }, 3000);

  it('names the last address when every address refuses', async () => {
    const port = await closedUdpPort('udp6', '::1');
    await closedUdpPort('udp4', '127.0.0.1', port);
    const { error, ms } = await failure(connect({ host: 'localhost', port, psk: clientPsk() }));
    console.log(`nonblocking: localhost (::1, 127.0.0.1) both refused after ${ms.toFixed(1)} ms`);
    expect(error).toMatchObject({ name: 'ConnectionRefusedError', code: 'ECONNREFUSED', address: '127.0.0.1', port });
    expect(ms).toBeLessThan(2000);
  }, 3000);

  it("follows `type`: udp6 tries ::1 only", async () => {
    server = createServer({ psk: serverPsk() }, echo);
    const { port } = await server.listen(0, '127.0.0.1');
    await closedUdpPort('udp6', '::1', port);
    const { error } = await failure(connect({ host: 'localhost', port, psk: clientPsk(), type: 'udp6' }));
    expect(error).toMatchObject({ code: 'ECONNREFUSED', address: '::1', port });
  }, 3000);
});

describe('connect() when nothing answers', () => {
  it('rejects after handshakeTimeoutMs with NoReplyError: "no reply from HOST:PORT within N ms", ETIMEDOUT', async () => {
    const silent = await silentPort();
    const { error, ms } = await failure(connect({ host: '127.0.0.1', port: silent.port, psk: clientPsk(), handshakeTimeoutMs: 500, retransmit: { initialMs: 100 } }));
    console.log(`nonblocking: silent 127.0.0.1:${silent.port}: ${(error as Error).message} (after ${ms.toFixed(1)} ms, ${silent.received()} ClientHellos sent)`);
    expect(error).toBeInstanceOf(NoReplyError);
    expect(error).not.toBeInstanceOf(DtlsError);
    expect(error).toMatchObject({ name: 'NoReplyError', code: 'ETIMEDOUT', address: '127.0.0.1', port: silent.port, timeoutMs: 500 });
    expect((error as Error).message).toBe(`no reply from 127.0.0.1:${silent.port} within 500 ms`);
    // The engine's deadline is what ended it, kept as the cause.
    expect((error as Error).cause).toBeInstanceOf(HandshakeTimeoutError);
    expect(silent.received()).toBeGreaterThanOrEqual(2); // the ClientHello and its retransmissions
    expect(ms).toBeGreaterThanOrEqual(450);
    expect(ms).toBeLessThan(2000);
  });

  it('keeps the engine timeout (no alert from the peer) when the server answered and the handshake then stalled', async () => {
    server = createServer({ psk: serverPsk() });
    const { port } = await server.listen(0, '127.0.0.1');
    // The first ClientHello gets its HelloVerifyRequest; the one with the cookie never arrives.
    relay = await startFaultRelay({
      target: port,
      seed: 1,
      rules: [{ direction: 'toServer', match: { handshakeType: HANDSHAKE_TYPE.clientHello }, skip: 1, times: Infinity, action: { kind: 'drop' } }],
    });
    const { error, ms } = await failure(connect({ host: '127.0.0.1', port: relay.port, psk: clientPsk(), handshakeTimeoutMs: 500, retransmit: { initialMs: 100 } }));
    console.log(`nonblocking: stalled after the HelloVerifyRequest: ${(error as Error).message} (after ${ms.toFixed(1)} ms)`);
    expect(error).toBeInstanceOf(HandshakeTimeoutError);
    expect((error as HandshakeTimeoutError).fromPeer).toBe(false);
    expect((error as Error).message).not.toMatch(/peer|received|from the server/);
    expect((error as Error).message).toMatch(/did not complete within 500 ms/);
  });

  it('cannot hear a server that answers from another address: the connected socket drops it (documented)', async () => {
    // A server on the wildcard address answers a datagram sent to 127.0.0.2 from 127.0.0.1 (the
    // kernel picks the source), and a connected socket takes datagrams from its peer only.
    server = createServer({ psk: serverPsk() }, echo);
    const { port } = await server.listen(0);
    const { error } = await failure(connect({ host: '127.0.0.2', port, psk: clientPsk(), handshakeTimeoutMs: 400, retransmit: { initialMs: 100 } }));
    expect(error).toMatchObject({ name: 'NoReplyError', address: '127.0.0.2', port });
    // The same server, asked at the address it answers from, is fine.
    const client = await connect({ host: '127.0.0.1', port, psk: clientPsk() });
    clients.push(client);
    expect(await roundTrip(client, 'same address')).toBe('same address');
  });

  it('an AbortSignal still ends the wait first, with its reason', async () => {
    const silent = await silentPort();
    const { error, ms } = await failure(connect({ host: '127.0.0.1', port: silent.port, psk: clientPsk(), signal: AbortSignal.timeout(200) }));
    expect(error).toMatchObject({ name: 'TimeoutError' });
    expect(ms).toBeLessThan(2000);
  });
});
