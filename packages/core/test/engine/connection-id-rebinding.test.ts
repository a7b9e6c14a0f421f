/**
 * RFC 9146 6 in core: ConnectionTable routes a tls12_cid record by its CID whatever its source,
 * and the connection moves its peer address only to the source of a record that authenticated
 * and is newer than any received. A spoofed CID record from a third address, a replayed one and
 * a late genuine one move nothing.
 */
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/bytes.js';
import type { DtlsConnection } from '../../src/connection.js';
import { ConnectionTable } from '../../src/endpoint/connection-table.js';
import type { PeerAddress } from '../../src/endpoint/peer-address.js';
import { ContentType } from '../../src/record/content-type.js';
import { Pair } from './harness.js';

const A: PeerAddress = { address: '192.0.2.7', port: 40000 };
const B: PeerAddress = { address: '192.0.2.7', port: 51111 }; // the same client after a NAT rebinding
const C: PeerAddress = { address: '203.0.113.66', port: 40000 }; // an attacker

function one(datagrams: Uint8Array[]): Uint8Array {
  const [d, ...rest] = datagrams;
  if (d === undefined || rest.length > 0) throw new Error(`expected one datagram, got ${datagrams.length}`);
  return d;
}

async function established(clientCid: number, serverCid: number): Promise<{ p: Pair; server: DtlsConnection; table: ConnectionTable<DtlsConnection> }> {
  const p = await new Pair({ client: { connectionId: { length: clientCid } }, server: { connectionId: { length: serverCid } } }).handshake();
  const server = p.s;
  const table = new ConnectionTable<DtlsConnection>();
  table.insert(A, server);
  const cid = server.connectionId?.receive;
  if (cid === undefined) throw new Error('no CID negotiated');
  table.bindConnectionId(cid, server);
  // The client's first datagram from A after the handshake fixes A as the peer (the harness gave none).
  p.client.send(utf8('hello'));
  deliver(table, server, one(p.client.datagramsToSend()), A, p.now);
  expect(server.peerAddress).toEqual(A);
  return { p, server, table };
}

/** What a runtime does: route by the table, then hand the datagram to the connection with its source. */
function deliver(table: ConnectionTable<DtlsConnection>, expected: DtlsConnection, d: Uint8Array, from: PeerAddress, now: number): void {
  const route = table.route(d, from);
  expect(route.type).toBe('connection');
  if (route.type !== 'connection') return;
  expect(route.connection).toBe(expected);
  route.connection.receive(d, now, from);
}

function data(server: DtlsConnection): string[] {
  const out: string[] = [];
  for (let e; (e = server.pollEvent()); ) if (e.type === 'data') out.push(new TextDecoder().decode(e.data));
  return out;
}

describe('RFC 9146 6: routing by CID and moving the peer address', () => {
  it('a genuine record from a new address (NAT rebinding) reaches the connection by its CID and moves the peer there', async () => {
    const { p, server, table } = await established(0, 4);
    data(server);
    p.client.send(utf8('after rebinding'));
    const d = one(p.client.datagramsToSend());
    expect(d[0]).toBe(ContentType.tls12_cid);
    expect(table.get(B)).toBeUndefined(); // the address alone would not find it
    deliver(table, server, d, B, p.now);
    expect(data(server)).toEqual(['after rebinding']);
    expect(server.peerAddress).toEqual(B);
  });

  it('a spoofed CID record from a third address reaches the connection, fails authentication and moves nothing', async () => {
    const { p, server, table } = await established(5, 4);
    data(server);
    p.client.send(utf8('genuine'));
    const genuine = one(p.client.datagramsToSend());
    // The right CID and a newer sequence number, but a body the attacker cannot authenticate.
    const forged = genuine.slice();
    forged[10] = (forged[10] ?? 0) + 100;
    for (let i = 17; i < forged.length; i++) forged[i] = (forged[i] ?? 0) ^ 0x5a;
    const badMac = server.stats.badMac;
    deliver(table, server, forged, C, p.now);
    expect(server.stats.badMac).toBe(badMac + 1);
    expect(server.peerAddress).toEqual(A);
    expect(server.state).toBe('established');
    // The genuine record, and then a replay of it from the attacker: read once, nothing moves.
    deliver(table, server, genuine, A, p.now);
    deliver(table, server, genuine, C, p.now);
    expect(data(server)).toEqual(['genuine']);
    expect(server.peerAddress).toEqual(A);
    expect(server.stats.replayed).toBeGreaterThanOrEqual(1);
  });

  it('a genuine but older record arriving late from the old address does not move the peer back', async () => {
    const { p, server, table } = await established(0, 6);
    data(server);
    p.client.send(utf8('first'));
    const first = one(p.client.datagramsToSend());
    p.client.send(utf8('second'));
    const second = one(p.client.datagramsToSend());
    deliver(table, server, second, B, p.now);
    expect(server.peerAddress).toEqual(B);
    deliver(table, server, first, A, p.now);
    expect(data(server)).toEqual(['second', 'first']); // within the replay window: still read
    expect(server.peerAddress).toEqual(B);
  });

  it('without a CID in the records we receive, the address never moves (a zero-length receive CID included)', async () => {
    // The server asked for no CID: the client's records are plain DTLS 1.2, routed by address only.
    const p = await new Pair({ client: { connectionId: { length: 4 } }, server: { connectionId: { length: 0 } } }).handshake();
    const server = p.s;
    p.client.send(utf8('one'));
    server.receive(one(p.client.datagramsToSend()), p.now, A);
    p.client.send(utf8('two'));
    const d = one(p.client.datagramsToSend());
    expect(d[0]).toBe(ContentType.application_data);
    server.receive(d, p.now, B);
    expect(server.peerAddress).toEqual(A);
  });

  it('the table: unknown CIDs go by address; a CID held by another connection is neither taken nor unbound; unbinding forgets', () => {
    interface Fake {
      name: string;
    }
    const table = new ConnectionTable<Fake>();
    const x: Fake = { name: 'x' };
    const y: Fake = { name: 'y' };
    const cid = Uint8Array.of(1, 2, 3, 4);
    const record = (id: Uint8Array): Uint8Array => {
      const d = new Uint8Array(13 + id.length + 20);
      d.set([ContentType.tls12_cid, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 7], 0);
      d.set(id, 11);
      d[11 + id.length + 1] = 20;
      return d;
    };
    table.insert(A, x);
    expect(table.bindConnectionId(cid, x)).toBe(true);
    expect(table.bindConnectionId(cid, x)).toBe(true); // again: still x's
    expect(table.route(record(cid), C)).toEqual({ type: 'connection', connection: x });
    expect(table.route(record(Uint8Array.of(9, 9, 9, 9)), C).type).toBe('endpoint');
    expect(table.route(record(Uint8Array.of(9, 9, 9, 9)), A)).toEqual({ type: 'connection', connection: x });
    expect(table.route(record(cid).subarray(0, 13), C).type).toBe('endpoint'); // too short to carry the CID
    // A colliding CID does not redirect x's records to y.
    expect(table.bindConnectionId(cid, y)).toBe(false);
    expect(table.route(record(cid), C)).toEqual({ type: 'connection', connection: x });
    expect(table.unbindConnectionId(cid, y)).toBe(false);
    expect(table.unbindConnectionId(cid, x)).toBe(true);
    expect(table.route(record(cid), C).type).toBe('endpoint');
    expect(table.bindConnectionId(cid, y)).toBe(true);
    expect(table.route(record(cid), C)).toEqual({ type: 'connection', connection: y });
    expect(table.bindConnectionId(new Uint8Array(0), x)).toBe(false); // no CID records come for an empty CID
    expect(table.route(record(new Uint8Array(0)), C).type).toBe('endpoint');
  });
});
