/**
 * Anti-amplification for a moved peer address (RFC 9146 6, RFC 9853, the limit of RFC 9000 8):
 * once a CID record moves the peer to a new address, that address is unvalidated, and the
 * connection sends there at most 3 times the bytes it received from it since the move. What does
 * not fit waits (bounded in bytes, oldest dropped) and leaves as the peer sends more; a return
 * to the address the handshake validated lifts the bound.
 */
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/bytes.js';
import type { DtlsConnection } from '../../src/connection.js';
import { ConnectionTable } from '../../src/endpoint/connection-table.js';
import type { PeerAddress } from '../../src/endpoint/peer-address.js';
import { ContentType } from '../../src/record/content-type.js';
import type { ServerOptions } from '../../src/config.js';
import { resolveServerOptions } from '../../src/options.js';
import { Pair } from './harness.js';
import { serverPsk } from '../support/psk.js';

const A: PeerAddress = { address: '192.0.2.7', port: 40000 }; // the client's address in the handshake
const B: PeerAddress = { address: '192.0.2.7', port: 51111 }; // the same client after a NAT rebinding
const V: PeerAddress = { address: '198.51.100.9', port: 53 }; // a victim whose address an attacker spoofs

interface Setup {
  p: Pair;
  server: DtlsConnection;
  table: ConnectionTable<DtlsConnection>;
  /** Bytes received from / sent to each address key since the setup, as a runtime would count them. */
  received: Map<string, number>;
  sent: Map<string, number>;
}

const key = (a: PeerAddress): string => `${a.address}:${a.port}`;
const add = (m: Map<string, number>, k: string, n: number): void => void m.set(k, (m.get(k) ?? 0) + n);

async function established(server: Partial<ServerOptions> = {}): Promise<Setup> {
  const p = await new Pair({ client: { connectionId: { length: 0 } }, server: { connectionId: { length: 8 }, ...server } }).handshake();
  const s = p.s;
  const table = new ConnectionTable<DtlsConnection>();
  table.insert(A, s);
  const cid = s.connectionId?.receive;
  if (cid === undefined) throw new Error('no CID negotiated');
  table.bindConnectionId(cid, s);
  const setup: Setup = { p, server: s, table, received: new Map(), sent: new Map() };
  p.client.send(utf8('hello from A'));
  for (const d of p.client.datagramsToSend()) deliver(setup, d, A);
  expect(s.peerAddress).toEqual(A);
  return setup;
}

/** A runtime: routes by the table and hands the datagram to the connection with its source. */
function deliver(x: Setup, d: Uint8Array, from: PeerAddress): void {
  const route = x.table.route(d, from);
  expect(route.type).toBe('connection');
  if (route.type !== 'connection') return;
  add(x.received, key(from), d.length);
  route.connection.receive(d, x.p.now, from);
}

/** A runtime: sends what the server has to its current peer address; returns what went. */
function flush(x: Setup): Uint8Array[] {
  const out = x.server.datagramsToSend();
  const to = x.server.peerAddress;
  if (to !== undefined) for (const d of out) add(x.sent, key(to), d.length);
  return out;
}

function clientSends(x: Setup, text: string, from: PeerAddress): void {
  x.p.client.send(utf8(text));
  for (const d of x.p.client.datagramsToSend()) deliver(x, d, from);
}

function dataAt(client: DtlsConnection, datagrams: Uint8Array[], now: number): string[] {
  for (const d of datagrams) client.receive(d, now);
  const out: string[] = [];
  for (let e; (e = client.pollEvent()); ) if (e.type === 'data') out.push(new TextDecoder().decode(e.data));
  return out;
}

const bulk = (i: number): string => `${String(i).padStart(4, '0')}:${'x'.repeat(995)}`;

describe('anti-amplification after a peer address move (RFC 9146 6, RFC 9853)', () => {
  it('a rebound address gets at most 3x what it sent; the rest waits', async () => {
    const x = await established();
    clientSends(x, 'moved', B);
    expect(x.server.peerAddress).toEqual(B);
    const fromB = x.received.get(key(B)) ?? 0;
    for (let i = 0; i < 20; i++) x.server.send(utf8(bulk(i)));
    const first = flush(x);
    const sentB = x.sent.get(key(B)) ?? 0;
    console.log(`moved: ${fromB} bytes from B, ${sentB} bytes sent to B (limit ${3 * fromB}), ${x.server.stats.unvalidatedHeldBytes} bytes held`);
    expect(sentB).toBeLessThanOrEqual(3 * fromB);
    expect(first.length).toBeLessThan(20);
    expect(x.server.stats.unvalidatedHeldBytes).toBeGreaterThan(19 * 1000);
  });

  it('held data is released as the peer sends more from the new address, in order and complete', async () => {
    const x = await established();
    clientSends(x, 'moved', B);
    for (let i = 0; i < 20; i++) x.server.send(utf8(bulk(i)));
    const got: string[] = dataAt(x.p.client, flush(x), x.p.now);
    let rounds = 0;
    while (got.length < 20 && rounds < 100) {
      rounds++;
      clientSends(x, `ack ${rounds} ${'y'.repeat(300)}`, B);
      got.push(...dataAt(x.p.client, flush(x), x.p.now));
      // The bound holds at every step, not only at the end.
      expect(x.sent.get(key(B)) ?? 0).toBeLessThanOrEqual(3 * (x.received.get(key(B)) ?? 0));
    }
    console.log(`released 20 x 1000 bytes to the new address over ${rounds} client datagrams: ${x.received.get(key(B))} bytes in, ${x.sent.get(key(B))} out`);
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => bulk(i)));
    expect(x.server.stats.unvalidatedHeldBytes).toBe(0);
    expect(x.server.stats.unvalidatedDropped).toBe(0);
  });

  it('a spoofed source cannot make the server send more than 3x to a victim; the genuine peer at its validated address lifts the bound', async () => {
    const x = await established();
    // An on-path attacker races a copy of a genuine record from the victim's address: it is newer
    // than any before and authenticates, so the peer address moves (RFC 9146 6 says it can).
    x.p.client.send(utf8('genuine'));
    const [genuine] = x.p.client.datagramsToSend();
    if (genuine === undefined) throw new Error('no datagram');
    deliver(x, genuine, V);
    expect(x.server.peerAddress).toEqual(V);
    deliver(x, genuine, A); // the real one, late: a replay, moves nothing
    expect(x.server.peerAddress).toEqual(V);
    for (let i = 0; i < 40; i++) x.server.send(utf8(bulk(i)));
    flush(x);
    // The attacker keeps sending junk with the CID from the victim's address: records that fail
    // authentication are discarded and buy nothing (RFC 9853 2), nor do replays of the genuine one.
    const junk = genuine.slice();
    for (let i = 0; i < 30; i++) {
      junk[10] = (junk[10] ?? 0) + 1;
      junk[junk.length - 1] = i;
      expect(junk[0]).toBe(ContentType.tls12_cid);
      deliver(x, junk, V);
      deliver(x, genuine, V);
      flush(x);
      expect(x.sent.get(key(V)) ?? 0).toBeLessThanOrEqual(3 * genuine.length);
    }
    const inV = x.received.get(key(V)) ?? 0;
    const outV = x.sent.get(key(V)) ?? 0;
    console.log(
      `victim: ${inV} bytes spoofed from it (${genuine.length} of them a genuine record), ${outV} bytes sent to it ` +
        `(limit ${3 * genuine.length}); ${x.server.stats.unvalidatedHeldBytes} bytes held`,
    );
    expect(outV).toBeLessThanOrEqual(3 * genuine.length);
    expect(x.server.stats.badMac).toBeGreaterThanOrEqual(30);
    expect(x.server.stats.replayed).toBeGreaterThanOrEqual(30);
    // The genuine client speaks again from A, the address the cookie validated: the bound is lifted.
    clientSends(x, 'still here', A);
    expect(x.server.peerAddress).toEqual(A);
    const rest = flush(x);
    expect(x.server.stats.unvalidatedHeldBytes).toBe(0);
    expect(rest.length).toBeGreaterThan(0);
  });

  it('what waits is bounded by maxUnvalidatedHeldBytes: the oldest are dropped and counted', async () => {
    const x = await established({ maxUnvalidatedHeldBytes: 4096 });
    clientSends(x, 'moved', B);
    for (let i = 0; i < 20; i++) x.server.send(utf8(bulk(i)));
    expect(x.server.stats.unvalidatedHeldBytes).toBeLessThanOrEqual(4096);
    expect(x.server.stats.unvalidatedDropped).toBeGreaterThanOrEqual(16);
    // What is left is the newest: once the peer sent enough, it arrives.
    const got: string[] = [];
    for (let i = 0; i < 30 && got.length < 3; i++) {
      clientSends(x, `ack ${'z'.repeat(500)}`, B);
      got.push(...dataAt(x.p.client, flush(x), x.p.now));
    }
    expect(got.length).toBeGreaterThanOrEqual(3);
    expect(got.at(-1)).toBe(bulk(19));
  });

  it('the default bound is 64 KiB', async () => {
    const x = await established();
    clientSends(x, 'moved', B);
    for (let i = 0; i < 100; i++) x.server.send(utf8(bulk(i)));
    console.log(`100 KB sent while unvalidated: ${x.server.stats.unvalidatedHeldBytes} bytes held, ${x.server.stats.unvalidatedDropped} datagrams dropped`);
    expect(x.server.stats.unvalidatedHeldBytes).toBeLessThanOrEqual(65_536);
    expect(x.server.stats.unvalidatedHeldBytes).toBeGreaterThan(60_000);
    expect(x.server.stats.unvalidatedDropped).toBeGreaterThan(30);
  });

  it('maxUnvalidatedHeldBytes is checked when the options are resolved', () => {
    expect(() => resolveServerOptions({ psk: serverPsk(), maxUnvalidatedHeldBytes: -1 })).toThrow(RangeError);
    expect(() => resolveServerOptions({ psk: serverPsk(), maxUnvalidatedHeldBytes: 1.5 })).toThrow(RangeError);
    expect(resolveServerOptions({ psk: serverPsk() }).maxUnvalidatedHeldBytes).toBe(65_536);
    expect(resolveServerOptions({ psk: serverPsk(), maxUnvalidatedHeldBytes: 0 }).maxUnvalidatedHeldBytes).toBe(0);
  });

  it('without a move nothing is held: the handshake-validated address has no bound', async () => {
    const x = await established();
    for (let i = 0; i < 100; i++) x.server.send(utf8(bulk(i)));
    expect(flush(x).length).toBe(100);
    expect(x.server.stats.unvalidatedHeldBytes).toBe(0);
  });
});
