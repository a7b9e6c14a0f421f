/**
 * createServer({ proxyProtocol: { from } }): behind a balancer that puts a PROXY v2 header before
 * each datagram, the client address in the header is the connection's remoteAddress and the one
 * that per-address limits count, while replies go back to the balancer's socket. Only the listed
 * sources are believed; a datagram from one of them without a header is dropped and counted.
 * (The real balancer, nginx with dtls-kit's njs script, is in packages/cli/test/lb.)
 */
import { once } from 'node:events';
import { startHeaderRelay as headerRelay, type HeaderRelay } from '@dtls-kit/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, createServer, type DtlsServer, type DtlsSocket } from '../src/index.js';
import { clientPsk, echo, roundTrip, serverPsk, until } from './helpers.js';

let server: DtlsServer | undefined;
let relay: HeaderRelay | undefined;
afterEach(async () => {
  await relay?.close();
  relay = undefined;
  await server?.close();
  server = undefined;
});

describe('createServer({ proxyProtocol }): the client address from a PROXY v2 header', () => {
  it("the connection's remoteAddress/remotePort are the header's client; replies still reach it through the balancer", async () => {
    const s = createServer({ psk: serverPsk(), proxyProtocol: { from: ['127.0.0.1'] } }, echo);
    server = s;
    const { port } = await s.listen(0, '127.0.0.1');
    relay = await headerRelay(port, (clientPort) => ({ address: '192.0.2.44', port: clientPort }));
    const accepted = once(s, 'connection').then(([socket]: DtlsSocket[]) => socket);
    const client = await connect({ host: '127.0.0.1', port: relay.port, psk: clientPsk() });
    const socket = await accepted;
    expect(await roundTrip(client, 'through the balancer')).toBe('through the balancer');
    expect(socket?.remoteAddress).toBe('192.0.2.44');
    expect(socket?.remotePort).toBe(client.address()?.port);
    expect(socket?.remoteFamily).toBe('IPv4');
    expect(s.connections().map((c) => c.remoteAddress)).toEqual(['192.0.2.44']);
    await client.close();
  });

  it('from a trusted source a datagram without a header is dropped and counted; other sources are clients as they are', async () => {
    const s = createServer({ psk: serverPsk(), proxyProtocol: { from: ['127.0.0.1'] }, handshakeTimeoutMs: 1500 }, echo);
    server = s;
    const { port } = await s.listen(0, '127.0.0.1');
    // A direct client from the balancer's address: its ClientHello has no header.
    const direct = connect({ host: '127.0.0.1', port, psk: clientPsk(), handshakeTimeoutMs: 1500 });
    await expect(direct).rejects.toThrow();
    expect(s.stats.dropped.proxyHeader).toBeGreaterThanOrEqual(1);
    expect(s.stats.helloVerifyRequests).toBe(0);
    await s.close();
    // Trusting another address: 127.0.0.1 is an ordinary client again.
    const t = createServer({ psk: serverPsk(), proxyProtocol: { from: ['127.0.0.2'] } }, echo);
    server = t;
    const accepted = once(t, 'connection').then(([socket]: DtlsSocket[]) => socket);
    const p = await t.listen(0, '127.0.0.1');
    const client = await connect({ host: '127.0.0.1', port: p.port, psk: clientPsk() });
    expect(await roundTrip(client, 'direct')).toBe('direct');
    expect((await accepted)?.remotePort).toBe(client.address()?.port);
    expect(t.stats.dropped.proxyHeader).toBe(0);
    await client.close();
  });

  it('rejects a bad proxyProtocol option up front', () => {
    expect(() => createServer({ psk: serverPsk(), proxyProtocol: { from: [] } })).toThrow(TypeError);
    expect(() => createServer({ psk: serverPsk(), proxyProtocol: { from: ['nginx.local'] } })).toThrow(/not an IP address/);
  });

  /** Four clients at once, each handshake held in progress; refusals by maxHandshakesPerAddress: 1. */
  async function refusalsWith(claimAddress: (clientPort: number) => string): Promise<number> {
    const s = createServer({ psk: serverPsk(), proxyProtocol: { from: ['127.0.0.1'] }, maxHandshakesPerAddress: 1 }, echo);
    server = s;
    const { port } = await s.listen(0, '127.0.0.1');
    relay = await headerRelay(port, (clientPort) => ({ address: claimAddress(clientPort), port: clientPort }));
    const target = relay.port;
    const clients = await Promise.all([0, 1, 2, 3].map(() => connect({ host: '127.0.0.1', port: target, psk: clientPsk() })));
    for (const c of clients) expect(await roundTrip(c, 'x')).toBe('x');
    await until(() => s.stats.connections === 4);
    const refused = s.stats.refused;
    await Promise.all(clients.map((c) => c.close()));
    await relay.close();
    relay = undefined;
    await s.close();
    server = undefined;
    return refused;
  }

  it('per-address handshake limits count the client address, not the balancer', async () => {
    // All four behind one claimed address: one handshake at a time, the others refused and retried.
    expect(await refusalsWith(() => '192.0.2.1')).toBeGreaterThanOrEqual(1);
    // Four claimed addresses, one per client port (198.18.0.0/16, RFC 2544's range: distinct ports
    // give distinct addresses; `port % 200` once gave two clients the same one): nothing refused.
    expect(await refusalsWith((clientPort) => `198.18.${clientPort >> 8}.${clientPort & 255}`)).toBe(0);
  }, 30_000);
});
