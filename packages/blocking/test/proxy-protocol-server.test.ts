/**
 * createBlockingServer({ proxyProtocol: { from } }): the main thread reads the PROXY v2 header a
 * load balancer puts before each datagram (core's parseProxyV2, as @dtls-kit/nonblocking does);
 * the client address in it is what the cookie is bound to, what per-address bounds count, what the
 * events report and what the handler's connection calls remoteAddress, while replies go back to
 * the balancer's socket. (nginx itself, with `dtls-kit server --runtime blocking --proxy-protocol`,
 * is in packages/cli/test/lb.)
 */
import { once } from 'node:events';
import { startHeaderRelay, startRebindingRelay, type HeaderRelay, type RebindingRelay } from '@dtls-kit/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { createBlockingServer, runBlockingClient, type BlockingServer, type Remote } from '../src/index.js';
import { clientCredentials, fixture, serverCredentials, type RoundTripResult } from './helpers.js';

let server: BlockingServer | undefined;
let relay: HeaderRelay | undefined;
let nat: RebindingRelay | undefined;
afterEach(async () => {
  await nat?.close();
  nat = undefined;
  await relay?.close();
  relay = undefined;
  await server?.close();
  server = undefined;
});

const ask = (port: number, messages: string[] = ['where'], maxVersion?: 'DTLSv1.2'): Promise<RoundTripResult> =>
  runBlockingClient<RoundTripResult>({ handler: fixture('client-roundtrip.mjs'), port, credentials: clientCredentials, args: { messages }, handshakeTimeoutMs: 3000, ...(maxVersion === undefined ? {} : { maxVersion }) });

describe('createBlockingServer({ proxyProtocol }): the client address from a PROXY v2 header', () => {
  // With handshakes 'main', a DTLS 1.2 client: its handshake runs on the main thread, behind the balancer.
  it.each(['worker', 'main'] as const)("the 'connection' event and the handler's remoteAddress/remotePort are the header's client; replies reach it through the balancer (handshakes %s)", async (handshakes) => {
    const s = createBlockingServer({ handler: fixture('remote-address-handler.mjs'), credentials: serverCredentials, maxThreads: 1, proxyProtocol: { from: ['127.0.0.1'] }, handshakes });
    server = s;
    const { port } = await s.listen(0, '127.0.0.1');
    relay = await startHeaderRelay(port, (clientPort) => ({ address: '192.0.2.44', port: clientPort + 1 }));
    const connected = once(s, 'connection') as Promise<[Remote]>;
    const r = await ask(relay.port, ['where', 'again'], handshakes === 'main' ? 'DTLSv1.2' : undefined);
    const [remote] = await connected;
    expect(remote.address).toBe('192.0.2.44');
    const claimed = `192.0.2.44:${remote.port}`;
    expect(r.replies).toEqual([claimed, claimed]);
    expect(s.stats.dropped.proxyHeader).toBe(0);
  });

  it("a client whose NAT rebinds (a new balancer session, a new vouched port): with CIDs the connection follows it, and the handler's remotePort and 'remoteAddressChange' say the client's new port", async () => {
    const s = createBlockingServer({
      handler: fixture('remote-address-handler.mjs'),
      credentials: serverCredentials,
      maxThreads: 1,
      connectionId: { length: 8 },
      proxyProtocol: { from: ['127.0.0.1'] },
    });
    server = s;
    const moves: [Remote, Remote][] = [];
    s.on('remoteAddressChange', (now, before) => moves.push([now, before]));
    const { port } = await s.listen(0, '127.0.0.1');
    // client -> NAT (a new port after each CID datagram) -> balancer (a session per port, the header claims it) -> server
    relay = await startHeaderRelay(port, (clientPort) => ({ address: '192.0.2.7', port: clientPort }));
    nat = await startRebindingRelay(relay.port, 1);
    const r = await runBlockingClient<RoundTripResult>({
      handler: fixture('client-roundtrip.mjs'),
      port: nat.port,
      credentials: clientCredentials,
      connectionId: { length: 0 },
      args: { messages: ['one', 'two', 'three'] },
      handshakeTimeoutMs: 3000,
    });
    expect(nat.rebinds).toBeGreaterThanOrEqual(2);
    const seen = r.replies.map((x) => /^192\.0\.2\.7:(\d+)$/.exec(x ?? '')?.[1]);
    expect(seen.every((p) => p !== undefined), JSON.stringify(r.replies)).toBe(true);
    // The handler saw the client's port change with the NAT's mappings (the vouched ports, not the balancer's).
    expect(new Set(seen).size).toBeGreaterThanOrEqual(2);
    expect(moves.length).toBeGreaterThanOrEqual(1);
    for (const [now, before] of moves) {
      expect(now.address).toBe('192.0.2.7');
      expect(before.address).toBe('192.0.2.7');
      expect(now.port).not.toBe(before.port);
    }
    expect(s.stats.addressChanges).toBe(moves.length);
  });

  it('from a trusted source a datagram without a header is dropped and counted; other sources are clients as they are', async () => {
    const s = createBlockingServer({ handler: fixture('remote-address-handler.mjs'), credentials: serverCredentials, maxThreads: 1, proxyProtocol: { from: ['127.0.0.1'] } });
    server = s;
    const { port } = await s.listen(0, '127.0.0.1');
    // A direct client from the balancer's own address: its ClientHello has no header.
    await expect(ask(port)).rejects.toThrow();
    expect(s.stats.dropped.proxyHeader).toBeGreaterThanOrEqual(1);
    expect(s.stats.helloVerifyRequests).toBe(0);
    await s.close();
    const t = createBlockingServer({ handler: fixture('remote-address-handler.mjs'), credentials: serverCredentials, maxThreads: 1, proxyProtocol: { from: ['127.0.0.2'] } });
    server = t;
    const p = await t.listen(0, '127.0.0.1');
    const r = await ask(p.port);
    expect(r.replies[0]).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(t.stats.dropped.proxyHeader).toBe(0);
  }, 20_000);

  it('per-address bounds count the client address, not the balancer', async () => {
    const refusals = async (claimAddress: (clientPort: number) => string): Promise<number> => {
      const s = createBlockingServer({
        handler: fixture('remote-address-handler.mjs'),
        credentials: serverCredentials,
        maxThreads: 3,
        maxConnectionsPerAddress: 1,
        proxyProtocol: { from: ['127.0.0.1'] },
      });
      server = s;
      const { port } = await s.listen(0, '127.0.0.1');
      relay = await startHeaderRelay(port, (clientPort) => ({ address: claimAddress(clientPort), port: clientPort }));
      const target = relay.port;
      // Three clients at once, each holding its connection a while.
      await Promise.allSettled([0, 1, 2].map(() => runBlockingClient({ handler: fixture('client-roundtrip.mjs'), port: target, credentials: clientCredentials, args: { messages: ['x'], holdMs: 800 }, handshakeTimeoutMs: 3000 })));
      const refused = s.stats.refused;
      await relay.close();
      relay = undefined;
      await s.close();
      server = undefined;
      return refused;
    };
    // One claimed address: one connection at a time, the others refused.
    expect(await refusals(() => '192.0.2.1')).toBeGreaterThanOrEqual(1);
    // A claimed address per client port (198.18.0.0/16, RFC 2544's range: distinct ports give
    // distinct addresses; `port % 200` could give two clients the same one): nothing lumped together.
    expect(await refusals((clientPort) => `198.18.${clientPort >> 8}.${clientPort & 255}`)).toBe(0);
  }, 30_000);

  it('rejects a bad proxyProtocol option up front', () => {
    expect(() => createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: serverCredentials, proxyProtocol: { from: [] } })).toThrow(TypeError);
    expect(() => createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: serverCredentials, proxyProtocol: { from: ['nginx.local'] } })).toThrow(/not an IP address/);
  });
});
