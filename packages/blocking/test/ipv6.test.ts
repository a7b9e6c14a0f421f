/** IPv6 servers: listen(port, '::1') binds a udp6 socket; peers are keyed by core's peerKey ("[::1]:port"). */
import { afterEach, describe, expect, it } from 'vitest';
import { createBlockingServer, runBlockingClient, type BlockingServer, type Remote } from '../src/index.js';
import { clientCredentials, fixture, serverCredentials, until } from './helpers.js';

let server: BlockingServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

interface Where {
  address: string;
  port: number;
  family: string;
}

describe('blocking server on IPv6', () => {
  it("listen(0, '::1'): a client over IPv6 connects, the handler sees an IPv6 peer, twice (cookie keyed per peer)", async () => {
    server = createBlockingServer({ handler: fixture('cid-handler.mjs'), credentials: serverCredentials, maxThreads: 2 });
    const connections: Remote[] = [];
    server.on('connection', (remote) => connections.push(remote));
    const address = await server.listen(0, '::1');
    expect(address.family).toBe('IPv6');
    expect(address.address).toBe('::1');
    expect(server.address().port).toBe(address.port);
    for (let i = 0; i < 2; i++) {
      const where = await runBlockingClient<Where>({
        handler: fixture('where-client.mjs'),
        host: '::1',
        port: address.port,
        credentials: clientCredentials,
      });
      expect(where.address).toBe('::1');
      expect(where.family).toBe('IPv6');
      expect(where.port).toBeGreaterThan(0);
    }
    await until(() => connections.length === 2 && server!.stats.completed === 2, 5000, 'two IPv6 connections');
    expect(connections.map((c) => c.address)).toEqual(['::1', '::1']);
    expect(server.stats.handshakeFailures).toBe(0);
  });

  it('address() before listen() throws a clear error', () => {
    server = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: serverCredentials, maxThreads: 1 });
    expect(() => server!.address()).toThrow(/not listening/);
  });
});
