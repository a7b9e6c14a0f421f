/**
 * Connection IDs (RFC 9146) in the nonblocking runtime: connect() and createServer() negotiate
 * them with `connectionId: { length }`; the server finds a connection by its CID from any source
 * address, follows its peer when the engine says it moved ('remoteAddressChange', remoteAddress
 * and remotePort, replies to the new address), forgets the CID when the connection ends, and the
 * key log names the CIDs in a `# CONNECTION_ID` comment before the CLIENT_RANDOM line.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DtlsConnection, toHex, type DtlsEvent } from '@dtls-kit/core';
import { ContentType, utf8 } from '@dtls-kit/core/internal';
import { driveOverUdp, startNatRelay, type NatRelay } from '@dtls-kit/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, createServer, type DtlsServer, type DtlsSocket, type RemoteAddressInfo } from '../src/index.js';
import { clientPsk, echo, roundTrip, serverPsk, until } from './helpers.js';

let server: DtlsServer | undefined;
let relay: NatRelay | undefined;
afterEach(async () => {
  await relay?.close();
  relay = undefined;
  await server?.close();
  server = undefined;
});

/** A server with CIDs whose first connection is handed out once established. */
async function cidServer(length = 8): Promise<{ port: number; accepted: Promise<DtlsSocket> }> {
  const s = createServer({ psk: serverPsk(), connectionId: { length } }, echo);
  server = s;
  const accepted = once(s, 'connection').then(([socket]) => socket);
  const { port } = await s.listen(0, '127.0.0.1');
  return { port, accepted };
}

describe('connection IDs in @dtls-kit/nonblocking (RFC 9146)', () => {
  it('connect() and createServer() negotiate CIDs; each socket tells both, mirrored', async () => {
    const { port, accepted } = await cidServer(8);
    const client = await connect({ host: '127.0.0.1', port, psk: clientPsk(), connectionId: { length: 5 } });
    const socket = await accepted;
    expect(client.connectionId?.receive.length).toBe(5);
    expect(socket.connectionId?.receive.length).toBe(8);
    expect(toHex(client.connectionId?.send ?? Buffer.alloc(0))).toBe(toHex(socket.connectionId?.receive ?? Buffer.alloc(1)));
    expect(toHex(socket.connectionId?.send ?? Buffer.alloc(0))).toBe(toHex(client.connectionId?.receive ?? Buffer.alloc(1)));
    expect(await roundTrip(client, 'over CID records')).toBe('over CID records');
    await client.close();
    const plain = await connect({ host: '127.0.0.1', port, psk: clientPsk() });
    expect(plain.connectionId).toBeUndefined();
    await plain.close();
  });

  it('follows a peer whose NAT rebinds: one session, remoteAddress/remotePort and replies move, events on socket and server', async () => {
    const { port, accepted } = await cidServer(8);
    relay = await startNatRelay({ target: port, rebindEvery: 5 });
    const client = await connect({ host: '127.0.0.1', port: relay.port, psk: clientPsk(), connectionId: { length: 0 } });
    const socket = await accepted;
    const moves: Array<[RemoteAddressInfo, RemoteAddressInfo]> = [];
    const serverMoves: DtlsSocket[] = [];
    socket.on('remoteAddressChange', (current, previous) => moves.push([current, previous]));
    server?.on('remoteAddressChange', (_current, _previous, s) => serverMoves.push(s));
    const first = socket.remotePort;
    for (let i = 0; i < 30; i++) expect(await roundTrip(client, `m${i}`)).toBe(`m${i}`);
    const clientPort = client.address()?.port ?? 0;
    const ports = relay.upstreamPorts(clientPort);
    console.log(`upstream ports ${ports.join(' ')}; server saw ${moves.length} moves`);
    expect(relay.stats.rebinds).toBeGreaterThanOrEqual(5);
    expect(moves.length).toBe(relay.stats.rebinds);
    expect(serverMoves.every((s) => s === socket)).toBe(true);
    expect(serverMoves.length).toBe(moves.length);
    expect(moves[0]?.[1]).toEqual({ address: '127.0.0.1', family: 'IPv4', port: first });
    for (const [i, [current, previous]] of moves.entries()) {
      expect(current).toEqual({ address: '127.0.0.1', family: 'IPv4', port: ports[i + 1] });
      expect(previous.port).toBe(ports[i]);
    }
    expect(socket.remotePort).toBe(ports.at(-1));
    expect(socket.remoteAddress).toBe('127.0.0.1');
    // One connection, filed under its current address; the old ones are free.
    expect(server?.stats.connections).toBe(1);
    expect(server?.connections()).toEqual([socket]);
    // No reply went to an expired mapping after the move that preceded it: every round trip came back.
    expect(relay.stats.toExpiredMapping).toBe(0);
    await client.close();
    await until(() => socket.state === 'closed', 3000, 'the server side to close');
  });

  // A record carrying the server's CID: DTLS 1.2's tls12_cid content type (RFC 9146 4), or a DTLS 1.3
  // unified header with its C bit (RFC 9147 4: 0b001CSLEE).
  const carriesCid = { 'DTLSv1.2': (d: Uint8Array): boolean => d[0] === ContentType.tls12_cid, 'DTLSv1.3': (d: Uint8Array): boolean => ((d[0] ?? 0) & 0xf0) === 0x30 };
  it.each([
    ['close', 'DTLSv1.3'],
    ['abort', 'DTLSv1.3'],
    ['close', 'DTLSv1.2'],
    ['abort', 'DTLSv1.2'],
  ] as const)('forgets the CID when the connection ends (%s, %s): its records are nobody’s then', async (how, version) => {
    const { port, accepted } = await cidServer(8);
    let captured: Uint8Array | undefined;
    relay = await startNatRelay({
      target: port,
      rebindEvery: Infinity,
      onToServer: (d) => {
        if (carriesCid[version](d)) captured = d.slice();
      },
    });
    const client = await connect({ host: '127.0.0.1', port: relay.port, psk: clientPsk(), connectionId: { length: 0 }, maxVersion: version });
    expect(client.getProtocol()).toBe(version);
    const socket = await accepted;
    expect(await roundTrip(client, 'x')).toBe('x');
    const record = captured;
    if (record === undefined) throw new Error(`no record with a CID captured (${version})`);
    // While the connection lives, its CID routes a replay from a third address to it (which
    // drops it as replayed, RFC 6347 4.1.2.6), not to the cookie endpoint.
    // (server.stats.dropped counts by reason: the endpoint's drops are notClientHello, the connection's replayed.)
    const dropped = server?.stats.dropped.notClientHello ?? 0;
    await relay.sendFromThirdAddress(record);
    await until(() => socket.stats.replayed === 1, 3000, 'the replay to reach the connection');
    expect(server?.stats.dropped.notClientHello).toBe(dropped);
    expect(server?.stats.dropped.replayed).toBe(1);
    expect(socket.remotePort).not.toBe(0);
    if (how === 'close') await client.close();
    else socket.abort();
    await until(() => socket.state === 'closed', 3000, 'the server side to close');
    await relay.sendFromThirdAddress(record);
    await until(() => (server?.stats.dropped.notClientHello ?? 0) === dropped + 1, 3000, 'the endpoint to drop the record');
    expect(server?.stats.connections).toBe(0);
  });

  it('a peer that moves to an address another connection holds does not take it from that one', async () => {
    const s = createServer({ psk: serverPsk(), connectionId: { length: 8 } }, echo);
    server = s;
    const sockets: DtlsSocket[] = [];
    s.on('connection', (socket) => sockets.push(socket));
    const { port } = await s.listen(0, '127.0.0.1');
    const target = { address: '127.0.0.1', port };
    const udp = async (): Promise<dgram.Socket> => {
      const socket = dgram.createSocket('udp4');
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
      return socket;
    };
    const [udpA, udpB] = [await udp(), await udp()];
    // A with CIDs (its records to the server carry the server's CID); B without, routed by address.
    const a = DtlsConnection.client({ psk: clientPsk(), connectionId: { length: 0 } });
    const b = DtlsConnection.client({ psk: clientPsk() });
    const eventsOf = (conn: DtlsConnection): DtlsEvent[] => {
      const out: DtlsEvent[] = [];
      for (let e = conn.pollEvent(); e !== undefined; e = conn.pollEvent()) out.push(e);
      return out;
    };
    const received = new Map<DtlsConnection, string[]>([[a, []], [b, []]]);
    const drain = (conn: DtlsConnection): void => {
      for (const e of eventsOf(conn)) if (e.type === 'data') received.get(conn)?.push(Buffer.from(e.data).toString('utf8'));
    };
    a.connect(performance.now());
    b.connect(performance.now());
    const driverA = driveOverUdp(a, udpA, target);
    const driverB = driveOverUdp(b, udpB, target);
    try {
      await until(() => a.state === 'established' && b.state === 'established' && sockets.length === 2, 5000, 'both handshakes');
      const portB = udpB.address().port;
      const serverA = sockets.find((x) => x.remotePort === udpA.address().port);
      const serverB = sockets.find((x) => x.remotePort === portB);
      if (serverA === undefined || serverB === undefined) throw new Error('connections not found');
      const moves: RemoteAddressInfo[] = [];
      serverA.on('remoteAddressChange', (current) => moves.push(current));
      // A's next record (genuine, newest) leaves from B's address: the engine moves A's peer there.
      driverA.stop();
      eventsOf(a);
      a.send(utf8('from B’s port'));
      for (const d of a.datagramsToSend()) udpB.send(d, port, '127.0.0.1');
      await until(() => moves.length === 1, 3000, "A's move");
      expect(moves[0]?.port).toBe(portB);
      expect(serverA.remotePort).toBe(portB);
      // B keeps its address: its datagrams still reach B, and B's echoes come back.
      expect(s.stats.connections).toBe(2);
      drain(b);
      b.send(utf8('still B'));
      driverB.pump();
      await until(() => (drain(b), received.get(b)?.includes('still B') === true), 3000, "B's echo");
      expect(serverB.remotePort).toBe(portB);
      // A ends: its entry (under its old address) goes with it; B is untouched.
      await serverA.close();
      expect(s.stats.connections).toBe(1);
      expect(s.connections()).toEqual([serverB]);
      b.send(utf8('B again'));
      driverB.pump();
      await until(() => (drain(b), received.get(b)?.includes('B again') === true), 3000, "B's second echo");
    } finally {
      driverA.stop();
      driverB.stop();
      udpA.close();
      udpB.close();
    }
  });

  // The CLIENT_RANDOM line is DTLS 1.2's (1.3's five lines with a CID comment: keylog-file.test.ts).
  it('writes a # CONNECTION_ID comment before each CLIENT_RANDOM line (functions, events, and a file, in order)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cid-keylog-'));
    try {
      const file = join(dir, 'keys.log');
      const serverLines: string[] = [];
      const s = createServer({ psk: serverPsk(), connectionId: { length: 4 }, keylog: file }, echo);
      server = s;
      s.on('keylog', (line) => serverLines.push(line.toString()));
      const { port } = await s.listen(0, '127.0.0.1');
      const clientLines: string[] = [];
      const client = await connect({ host: '127.0.0.1', port, psk: clientPsk(), connectionId: { length: 6 }, keylog: (line) => clientLines.push(line), maxVersion: 'DTLSv1.2' });
      expect(clientLines).toHaveLength(2);
      const random = clientLines[1]?.split(' ')[1] ?? '';
      const c = client.connectionId;
      expect(clientLines[0]).toBe(`# CONNECTION_ID ${random} receive=${c?.receive.toString('hex')} send=${c?.send.toString('hex')}\n`);
      expect(clientLines[1]).toMatch(/^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}\n$/);
      await until(() => serverLines.length === 2, 3000, "the server's key log lines");
      expect(serverLines[0]).toBe(`# CONNECTION_ID ${random} receive=${c?.send.toString('hex')} send=${c?.receive.toString('hex')}\n`);
      expect(serverLines[1]).toBe(clientLines[1]);
      await until(() => existsSync(file) && readFileSync(file, 'utf8').split('\n').length === 3, 3000, 'the key log file');
      expect(readFileSync(file, 'utf8')).toBe(serverLines.join(''));
      await client.close();
      // Without CIDs there is no comment.
      const lines: string[] = [];
      const plain = await connect({ host: '127.0.0.1', port, psk: clientPsk(), keylog: (line) => lines.push(line), maxVersion: 'DTLSv1.2' });
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^CLIENT_RANDOM /);
      await plain.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
