/**
 * RFC 9147 9: connection IDs in DTLS 1.3, our client with our server on the simulated network.
 * The connection_id extension of RFC 9146 goes in the ClientHello and the ServerHello (each side
 * the CID it wants to receive, the same `connectionId` options as DTLS 1.2); every record from
 * epoch 2 on carries the peer's CID after the first byte of the unified header, with the C bit.
 * wolfSSL's client and server against ours: nonblocking/test/dtls13-connection-id-wolfssl.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { bytesEqual, utf8 } from '../../src/bytes.js';
import type { DtlsConnection } from '../../src/connection.js';
import { ConnectionTable } from '../../src/endpoint/connection-table.js';
import type { PeerAddress } from '../../src/endpoint/peer-address.js';
import { C_BIT } from '../../src/record/unified-header.js';
import { Pair } from './harness.js';

const V13 = { maxVersion: 'DTLSv1.3' } as const;

/** The unified-header records (first byte 001xxxxx) at the start of each datagram in one direction. */
function unifiedFirstBytes(p: Pair, direction: 'c2s' | 's2c'): Uint8Array[] {
  return p.wire.filter((w) => w.direction === direction && ((w.datagram[0] ?? 0) & 0xe0) === 0x20).map((w) => w.datagram);
}

function dataOf(events: readonly { type: string }[]): string[] {
  return events.flatMap((e) => ('data' in e && e.data instanceof Uint8Array ? [Buffer.from(e.data).toString()] : []));
}

function data(conn: DtlsConnection): string[] {
  const out: string[] = [];
  for (let e; (e = conn.pollEvent()); ) if (e.type === 'data') out.push(new TextDecoder().decode(e.data));
  return out;
}

describe('DTLS 1.3 connection IDs (RFC 9147 9)', () => {
  for (const [clientLength, serverLength] of [
    [2, 6],
    [0, 4],
    [3, 0],
  ] as const) {
    it(`client CID ${clientLength} bytes, server CID ${serverLength}: negotiated in the hellos, carried in every protected record`, async () => {
      const p = await new Pair({ client: { ...V13, connectionId: { length: clientLength } }, server: { ...V13, connectionId: { length: serverLength } } }).handshake();
      expect(p.client.protocol).toBe('DTLSv1.3');
      const c = p.client.connectionId;
      const s = p.s.connectionId;
      if (c === undefined || s === undefined) throw new Error('no CIDs negotiated');
      expect(c.receive.length).toBe(clientLength);
      expect(s.receive.length).toBe(serverLength);
      // Mirrored: what one side receives the other sends.
      expect(bytesEqual(c.receive, s.send)).toBe(true);
      expect(bytesEqual(c.send, s.receive)).toBe(true);
      p.client.send(utf8('ping'));
      p.s.send(utf8('pong'));
      await p.run();
      expect(dataOf(p.serverEvents)).toContain('ping');
      expect(dataOf(p.clientEvents)).toContain('pong');
      for (const [direction, cid] of [
        ['c2s', s.receive],
        ['s2c', c.receive],
      ] as const) {
        const records = unifiedFirstBytes(p, direction);
        expect(records.length, direction).toBeGreaterThan(0);
        for (const d of records) {
          // RFC 9147 4: the C bit says a CID follows the first byte; its length is the receiver's.
          expect(((d[0] ?? 0) & C_BIT) !== 0, direction).toBe(cid.length > 0);
          expect(Array.from(d.subarray(1, 1 + cid.length)), direction).toEqual(Array.from(cid));
        }
      }
    });
  }

  it('without the option on one side no CID is negotiated and no record carries one; with it on both, one is', async () => {
    for (const [client, server] of [
      [{ connectionId: { length: 4 } }, {}],
      [{}, { connectionId: { length: 4 } }],
    ] as const) {
      const p = await new Pair({ client: { ...V13, ...client }, server: { ...V13, ...server } }).handshake();
      expect(p.client.connectionId).toBeUndefined();
      expect(p.s.connectionId).toBeUndefined();
      for (const d of [...unifiedFirstBytes(p, 'c2s'), ...unifiedFirstBytes(p, 's2c')]) expect((d[0] ?? 0) & C_BIT).toBe(0);
    }
    // The contrast: with it on both sides the same handshake negotiates one.
    const both = await new Pair({ client: { ...V13, connectionId: { length: 4 } }, server: { ...V13, connectionId: { length: 4 } } }).handshake();
    expect(both.s.connectionId?.receive.length).toBe(4);
  });

  it('minVersion DTLSv1.3 (no DTLS 1.2 part in the hello) still offers connection_id', async () => {
    const only13 = { minVersion: 'DTLSv1.3', maxVersion: 'DTLSv1.3' } as const;
    const p = await new Pair({ client: { ...only13, connectionId: { length: 2 } }, server: { ...only13, connectionId: { length: 5 } } }).handshake();
    expect(p.client.connectionId?.receive.length).toBe(2);
    expect(p.client.connectionId?.send.length).toBe(5);
  });

  it('the server endpoint routes a 1.3 record by its CID from a new address, and the connection follows the peer there (RFC 9146 6, RFC 9147 9)', async () => {
    const A: PeerAddress = { address: '192.0.2.7', port: 40000 };
    const B: PeerAddress = { address: '192.0.2.7', port: 51111 };
    const p = await new Pair({ client: { ...V13, connectionId: { length: 0 } }, server: { ...V13, connectionId: { length: 4 } } }).handshake();
    const server = p.s;
    const cid = server.connectionId?.receive;
    if (cid === undefined) throw new Error('no CID');
    const table = new ConnectionTable<DtlsConnection>();
    table.insert(A, server);
    expect(table.bindConnectionId(cid, server)).toBe(true);
    data(server);
    p.client.send(utf8('from A'));
    const [a] = p.client.datagramsToSend();
    if (a === undefined) throw new Error('nothing sent');
    const ra = table.route(a, A);
    expect(ra.type).toBe('connection');
    server.receive(a, p.now, A);
    expect(data(server)).toEqual(['from A']);
    p.client.send(utf8('from B'));
    const [b] = p.client.datagramsToSend();
    if (b === undefined) throw new Error('nothing sent');
    expect(table.get(B)).toBeUndefined();
    const rb = table.route(b, B);
    expect(rb.type === 'connection' && rb.connection === server).toBe(true);
    server.receive(b, p.now, B);
    expect(data(server)).toEqual(['from B']);
    expect(server.peerAddress).toEqual(B);
    // A record with another CID is not this connection's: the address decides (here, none).
    const other = b.slice();
    other[1] = (other[1] ?? 0) ^ 0xff;
    expect(table.route(other, B).type).toBe('endpoint');
  });
});
