import { afterEach, describe, expect, it } from 'vitest';
import { createBlockingServer, runBlockingClient, type BlockingServer, type RemoteAddressInfo } from '../src/index.js';
import { EngineClient } from './engine-client.js';
import { clientCredentials, fixture, serverCredentials, until } from './helpers.js';

let server: BlockingServer | undefined;
let client: EngineClient | undefined;
afterEach(async () => {
  client?.close();
  client = undefined;
  await server?.close();
  server = undefined;
});

interface Where {
  address: string;
  port: number;
  family: string;
  changes: { current: RemoteAddressInfo; previous: RemoteAddressInfo }[];
  cid: string | null;
}

async function start(connectionId: { length: number; serverId?: Uint8Array } | undefined, handshakes: 'worker' | 'main'): Promise<number> {
  server = createBlockingServer({
    handler: fixture('cid-handler.mjs'),
    credentials: serverCredentials,
    maxThreads: 2,
    handshakes,
    ...(connectionId === undefined ? {} : { connectionId }),
  });
  return (await server.listen(0, '127.0.0.1')).port;
}

// The engine client is DTLS 1.2: with handshakes 'main' the CIDs are negotiated on the main thread, then handed over.
describe.each(['worker', 'main'] as const)('blocking server: connection IDs (RFC 9146) route records whatever their source (handshakes %s)', (handshakes) => {
    it('a client whose port changes keeps its session; the connection follows it and says so, on both threads', async () => {
      const port = await start({ length: 8 }, handshakes);
      const moves: [RemoteAddressInfo, RemoteAddressInfo][] = [];
      server!.on('remoteAddressChange', (current, previous) => moves.push([current, previous]));
      client = await EngineClient.open(port, { connectionIdLength: 4 });
      await client.handshake();
      const ports = [client.localPort];
      client.send('hello');
      expect(await client.recv()).toBe('hello');
      for (let i = 1; i <= 3; i++) {
        // A NAT rebinding: the same session from a new port. Its CID record reaches the connection,
        // which authenticates it and moves the peer there; the echo comes back to the new port.
        ports.push(await client.rebind());
        client.send(`after rebind ${i}`);
        expect(await client.recv()).toBe(`after rebind ${i}`);
      }
      // The peer's new address is unvalidated (no return routability check here): the server may send
      // it at most 3x what it received from it (RFC 9853 anti-amplification), so the request is
      // padded to buy the ~300-byte report.
      client.send(`where${' '.repeat(200)}`);
      const where = JSON.parse(await client.recv()) as Where;
      expect(where.cid).toMatch(/^[0-9a-f]{16}$/);
      expect(where.port).toBe(ports[3]);
      expect(where.family).toBe('IPv4');
      expect(where.changes.map((c) => [c.previous.port, c.current.port])).toEqual([
        [ports[0], ports[1]],
        [ports[1], ports[2]],
        [ports[2], ports[3]],
      ]);
      expect(moves.map(([c, p]) => [p.port, c.port])).toEqual([
        [ports[0], ports[1]],
        [ports[1], ports[2]],
        [ports[2], ports[3]],
      ]);
      expect(moves[0]?.[0]).toEqual({ address: '127.0.0.1', family: 'IPv4', port: ports[1] });
      expect(server!.stats.addressChanges).toBe(3);
      console.log(`blocking CID: 3 rebinds followed, remote now 127.0.0.1:${where.port}, CID ${where.cid}`);
      client.close();
      client = undefined;
      await until(() => server!.stats.completed === 1, 5000, 'the connection to end');
    });

    it("a peer that moves to an address another connection holds does not take that connection's address entry", async () => {
      const port = await start({ length: 8 }, handshakes);
      const moves: [RemoteAddressInfo, RemoteAddressInfo][] = [];
      server!.on('remoteAddressChange', (current, previous) => moves.push([current, previous]));
      const a = await EngineClient.open(port, { connectionIdLength: 4 });
      const b = await EngineClient.open(port, { connectionIdLength: 4 });
      try {
        await a.handshake();
        await b.handshake();
        const aPort = a.localPort;
        const bPort = b.localPort;
        // A's next record comes from B's address and port (a NAT reused the port): A follows it.
        a.borrow(b.socketInUse);
        a.send('a moved');
        expect(await a.recv()).toBe('a moved');
        expect(moves.map(([c, p]) => [p.port, c.port])).toEqual([[aPort, bPort]]);
        b.send('b still here');
        expect(await b.recv()).toBe('b still here');
        // B's address is still B's: its own ClientHello again is stale there (had A taken the entry,
        // it would count as a restarted client of A's and replace A once its cookie verified).
        const hello = b.sent.filter((d) => d[0] === 22 && d[13] === 1).at(-1);
        expect(hello).toBeDefined();
        if (hello) b.raw(hello);
        await until(() => server!.stats.staleClientHellos === 1, 5000, 'the ClientHello to be dropped as stale');
        expect(server!.stats.replaced).toBe(0);
        b.send('where');
        const where = JSON.parse(await b.recv()) as Where;
        expect(where.port).toBe(bPort);
        expect(where.changes).toEqual([]);
      } finally {
        a.close();
        b.close();
      }
    });

    it("the connectionId option reaches both workers' engines (blocking client and server)", async () => {
      const port = await start({ length: 8 }, handshakes);
      const r = await runBlockingClient<{ send: number | null; receive: number | null; serverCid: string | null }>({
        handler: fixture('cid-client.mjs'),
        port,
        credentials: clientCredentials,
        connectionId: { length: 4 },
      });
      // The client puts the server's 8-byte CID in its records and asked for 4-byte ones (RFC 9146 3).
      expect(r).toEqual({ send: 8, receive: 4, serverCid: expect.stringMatching(/^[0-9a-f]{16}$/) });
    });

    it("core's connectionId.serverId crosses into the worker: the server's CIDs start with it, as @dtls-kit/nonblocking's", async () => {
      const port = await start({ length: 8, serverId: Uint8Array.of(0xab, 0xcd, 0xef) }, handshakes);
      client = await EngineClient.open(port, { connectionIdLength: 4 });
      await client.handshake();
      client.send('where');
      const where = JSON.parse(await client.recv()) as Where;
      // RFC 9146 3: the CID the server asks for, its routing prefix first, random bytes after it.
      expect(where.cid).toMatch(/^abcdef[0-9a-f]{10}$/);
    });

    it('a CID of 0 bytes on our side (peer sends none to us) leaves routing by address only', async () => {
      const port = await start({ length: 0 }, handshakes);
      client = await EngineClient.open(port, { connectionIdLength: 4 });
      await client.handshake();
      client.send('where');
      const where = JSON.parse(await client.recv()) as Where;
      expect(where.cid).toBe('');
      await client.rebind();
      client.send('lost');
      await expect(client.recv(1500)).rejects.toThrow(/timed out/);
    });

    it('without CIDs the same rebinding loses the session (the new port is a stranger)', async () => {
      const port = await start(undefined, handshakes);
      client = await EngineClient.open(port);
      await client.handshake();
      client.send('hello');
      expect(await client.recv()).toBe('hello');
      await client.rebind();
      client.send('lost');
      await expect(client.recv(1500)).rejects.toThrow(/timed out/);
      expect(server!.stats.addressChanges).toBe(0);
    });
  });
