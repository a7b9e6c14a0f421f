/**
 * RFC 9853 return routability check between two dtls-kit peers: the rrc extension (61, empty)
 * next to connection_id; after the peer moves to a new address the connection sends a
 * path_challenge (return_routability_check content type 27, msg_type 0, an 8-byte cookie) there,
 * and the peer's path_response with that cookie validates the address, lifting the
 * anti-amplification bound. A victim whose address was spoofed never answers: the bound stays.
 */
import { describe, expect, it } from 'vitest';
import { AlertDescription } from '../../src/alert.js';
import { toHex, utf8 } from '../../src/bytes.js';
import type { ClientOptions, ServerOptions } from '../../src/config.js';
import type { DtlsConnection } from '../../src/connection.js';
import { ConnectionTable } from '../../src/endpoint/connection-table.js';
import type { PeerAddress } from '../../src/endpoint/peer-address.js';
import { ExtensionType } from '../../src/handshake/extensions/extension-type.js';
import { findExtension } from '../../src/handshake/extensions/extension.js';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import { decodeHandshakeFragments } from '../../src/handshake/handshake-header.js';
import { decodeClientHello } from '../../src/handshake/messages/client-hello.js';
import { decodeServerHello } from '../../src/handshake/messages/server-hello.js';
import { ContentType } from '../../src/record/content-type.js';
import { splitRecords } from '../../src/record/datagram.js';
import { encodeRrcMessage, RrcMessageType } from '../../src/return-routability-check.js';
import { editHandshake, Pair, recordsOf } from './harness.js';
import { closeEvent } from '../support/event-log.js';

const A: PeerAddress = { address: '192.0.2.7', port: 40000 };
const B: PeerAddress = { address: '192.0.2.7', port: 51111 };
const C: PeerAddress = { address: '192.0.2.7', port: 52222 };
const V: PeerAddress = { address: '198.51.100.9', port: 53 };

const RRC = { client: { connectionId: { length: 4, returnRoutabilityCheck: true } }, server: { connectionId: { length: 8, returnRoutabilityCheck: true } } };

interface Setup {
  p: Pair;
  server: DtlsConnection;
  table: ConnectionTable<DtlsConnection>;
}

async function established(options: { client: Partial<ClientOptions>; server: Partial<ServerOptions> } = RRC): Promise<Setup> {
  const p = await new Pair(options).handshake();
  const table = new ConnectionTable<DtlsConnection>();
  table.insert(A, p.s);
  const cid = p.s.connectionId?.receive;
  if (cid !== undefined) table.bindConnectionId(cid, p.s);
  const x = { p, server: p.s, table };
  clientSends(x, 'hello from A', A);
  expect(p.s.peerAddress).toEqual(A);
  return x;
}

function deliver(x: Setup, d: Uint8Array, from: PeerAddress): void {
  const route = x.table.route(d, from);
  expect(route.type).toBe('connection');
  if (route.type === 'connection') route.connection.receive(d, x.p.now, from);
}

function clientSends(x: Setup, text: string, from: PeerAddress): void {
  x.p.client.send(utf8(text));
  for (const d of x.p.client.datagramsToSend()) deliver(x, d, from);
}

function clientData(client: DtlsConnection, datagrams: Uint8Array[], now: number): string[] {
  for (const d of datagrams) client.receive(d, now);
  const out: string[] = [];
  for (let e; (e = client.pollEvent()); ) if (e.type === 'data') out.push(new TextDecoder().decode(e.data));
  return out;
}

function helloExtensionTypes(p: Pair, msgType: number): number[] {
  for (const w of p.wire) {
    for (const r of splitRecords(w.datagram)) {
      if (r.header.type !== ContentType.handshake || r.header.epoch !== 0) continue;
      for (const f of decodeHandshakeFragments(r.fragment)) {
        if (f.msgType !== msgType || f.fragmentOffset !== 0) continue;
        const hello = msgType === HandshakeType.client_hello ? decodeClientHello(f.body) : decodeServerHello(f.body);
        return hello.extensions.map((e) => e.type);
      }
    }
  }
  return [];
}

const bulk = (i: number): string => `${String(i).padStart(4, '0')}:${'x'.repeat(995)}`;

describe('RFC 9853 return routability check', () => {
  it('negotiation: rrc (61, empty) goes with connection_id, answered only when both sides want it', async () => {
    const both = await new Pair(RRC).handshake();
    expect(both.client.returnRoutabilityCheck).toBe(true);
    expect(both.s.returnRoutabilityCheck).toBe(true);
    expect(helloExtensionTypes(both, HandshakeType.client_hello)).toContain(61);
    expect(helloExtensionTypes(both, HandshakeType.server_hello)).toContain(61);
    const onlyClient = await new Pair({ client: RRC.client, server: { connectionId: { length: 8 } } }).handshake();
    expect(onlyClient.client.returnRoutabilityCheck).toBe(false);
    expect(onlyClient.s.returnRoutabilityCheck).toBe(false);
    expect(helloExtensionTypes(onlyClient, HandshakeType.server_hello)).not.toContain(61);
    const onlyServer = await new Pair({ client: { connectionId: { length: 4 } }, server: RRC.server }).handshake();
    expect(helloExtensionTypes(onlyServer, HandshakeType.client_hello)).not.toContain(61);
    expect(onlyServer.s.returnRoutabilityCheck).toBe(false);
    const off = await new Pair().handshake();
    expect(helloExtensionTypes(off, HandshakeType.client_hello)).not.toContain(61);
  });

  it('a server that sends rrc the client did not offer fails the handshake with unsupported_extension', async () => {
    const p = new Pair({
      client: { connectionId: { length: 4 } },
      server: RRC.server,
      tap: (d, direction) =>
        direction !== 's2c'
          ? [d]
          : [
              editHandshake(d, (f) => {
                if (f.msgType !== HandshakeType.server_hello) return [f];
                const sh = decodeServerHello(f.body);
                expect(findExtension(sh.extensions, ExtensionType.rrc)).toBeUndefined();
                // Appends an empty rrc extension: 2 bytes type, 2 bytes length, and the extensions' length grows by 4.
                const body = new Uint8Array(f.body.length + 4);
                body.set(f.body, 0);
                body.set([0, 61, 0, 0], f.body.length);
                const extLengthAt = f.body.length - sh.extensions.reduce((n, e) => n + 4 + e.data.length, 0) - 2;
                const extLength = ((body[extLengthAt] ?? 0) << 8) | (body[extLengthAt + 1] ?? 0);
                body[extLengthAt] = (extLength + 4) >> 8;
                body[extLengthAt + 1] = (extLength + 4) & 0xff;
                return [{ ...f, length: body.length, body }];
              }),
            ],
    });
    p.start();
    await p.run();
    expect(p.client.state).toBe('closed');
    expect(p.client.error?.alert).toBe(AlertDescription.unsupported_extension);
    expect(closeEvent(p.clientEvents)).toBeDefined();
  });

  it('after a NAT rebinding: path_challenge to the new address, path_response back, the bound is lifted', async () => {
    const x = await established();
    clientSends(x, 'moved', B);
    expect(x.server.peerAddress).toEqual(B);
    for (let i = 0; i < 20; i++) x.server.send(utf8(bulk(i)));
    const first = x.server.datagramsToSend();
    // Only the challenge fits the budget of one small datagram; the data waits.
    expect(first).toHaveLength(1);
    expect(x.server.stats.pathChallenges).toBe(1);
    expect(x.server.stats.unvalidatedHeldBytes).toBeGreaterThan(19_000);
    expect(clientData(x.p.client, first, x.p.now)).toEqual([]);
    const answer = x.p.client.datagramsToSend();
    expect(answer).toHaveLength(1); // exactly one path_response (RFC 9853 5.4)
    const before = x.server.stats.pathValidations;
    for (const d of answer) deliver(x, d, B);
    expect(x.server.stats.pathValidations).toBe(before + 1);
    expect(x.server.stats.unvalidatedHeldBytes).toBe(0);
    expect(clientData(x.p.client, x.server.datagramsToSend(), x.p.now)).toEqual(Array.from({ length: 20 }, (_, i) => bulk(i)));
    // Validated: more data goes without the client sending anything.
    for (let i = 0; i < 100; i++) x.server.send(utf8(bulk(i)));
    expect(x.server.datagramsToSend()).toHaveLength(100);
    console.log(`RRC: 1 path_challenge, 1 path_response, then 120 KB to the validated address with nothing more from it`);
  });

  it('the wire: the challenge is a tls12_cid record of inner type 27, msg_type 0 and an 8-byte cookie; the response echoes it with msg_type 1', async () => {
    const x = await established();
    clientSends(x, 'moved', B);
    const [challenge] = x.server.datagramsToSend();
    if (challenge === undefined) throw new Error('no challenge');
    expect(challenge[0]).toBe(ContentType.tls12_cid);
    const opened = recordsOf(x.p.client).open(challenge.slice());
    expect(opened).toHaveLength(1);
    expect(opened[0]?.type).toBe(ContentType.return_routability_check);
    const payload = opened[0]?.payload ?? new Uint8Array(0);
    expect(payload.length).toBe(9);
    expect(payload[0]).toBe(RrcMessageType.path_challenge);
    // The client, fed the same challenge, answers with the cookie.
    x.p.client.receive(challenge, x.p.now); // a replay for its record layer now: dropped
    expect(x.p.client.datagramsToSend()).toEqual([]);
    const forged = recordsOf(x.server).seal(ContentType.return_routability_check, payload);
    x.p.client.receive(forged, x.p.now);
    const [response] = x.p.client.datagramsToSend();
    if (response === undefined) throw new Error('no response');
    const read = recordsOf(x.server).open(response.slice());
    expect(read[0]?.type).toBe(ContentType.return_routability_check);
    expect(toHex(read[0]?.payload ?? new Uint8Array(0))).toBe('01' + toHex(payload.subarray(1)));
  });

  it('a spoofed move to a victim: the challenge goes there, nobody answers, the bound stays; junk buys nothing', async () => {
    const x = await established();
    x.p.client.send(utf8('genuine'));
    const [genuine] = x.p.client.datagramsToSend();
    if (genuine === undefined) throw new Error('no datagram');
    deliver(x, genuine, V); // raced from the victim's address
    expect(x.server.peerAddress).toEqual(V);
    for (let i = 0; i < 40; i++) x.server.send(utf8(bulk(i)));
    let toVictim = 0;
    for (const d of x.server.datagramsToSend()) toVictim += d.length;
    const junk = genuine.slice();
    for (let i = 0; i < 20; i++) {
      x.p.now += 500; // time passes: a challenge is due again only for a datagram that authenticates
      junk[10] = (junk[10] ?? 0) + 1;
      deliver(x, junk, V);
      for (const d of x.server.datagramsToSend()) toVictim += d.length;
    }
    console.log(`spoofed move: ${genuine.length} genuine bytes from the victim's address, ${toVictim} bytes sent there (the path_challenge), ${x.server.stats.pathValidations} validations`);
    expect(toVictim).toBeLessThanOrEqual(3 * genuine.length);
    expect(x.server.stats.pathChallenges).toBe(1);
    expect(x.server.stats.pathValidations).toBe(0);
    expect(x.server.stats.unvalidatedHeldBytes).toBeGreaterThan(30_000);
  });

  it('a path_response to a challenge sent to an earlier address validates nothing; the current one does', async () => {
    const x = await established();
    clientSends(x, 'at B', B);
    const toB = x.server.datagramsToSend(); // the challenge to B, not delivered (B's mapping is already gone)
    expect(toB).toHaveLength(1);
    clientSends(x, 'at C', C);
    expect(x.server.peerAddress).toEqual(C);
    const toC = x.server.datagramsToSend();
    expect(toC).toHaveLength(1);
    expect(x.server.stats.pathChallenges).toBe(2);
    // The client answers the stale challenge (it reached it late): no validation.
    clientData(x.p.client, toB, x.p.now);
    for (const d of x.p.client.datagramsToSend()) deliver(x, d, C);
    expect(x.server.stats.pathValidations).toBe(0);
    // The current one validates C.
    clientData(x.p.client, toC, x.p.now);
    for (const d of x.p.client.datagramsToSend()) deliver(x, d, C);
    expect(x.server.stats.pathValidations).toBe(1);
  });

  it('an unanswered challenge is repeated after T (1 s) while the peer speaks from there; any outstanding cookie validates', async () => {
    const x = await established();
    clientSends(x, 'moved', B);
    const c1 = x.server.datagramsToSend();
    clientSends(x, 'still here', B);
    expect(x.server.stats.pathChallenges).toBe(1); // not yet: T has not passed
    x.p.now += 1000;
    clientSends(x, 'a second later', B);
    expect(x.server.stats.pathChallenges).toBe(2);
    clientData(x.p.client, c1, x.p.now); // the first challenge arrives after all
    for (const d of x.p.client.datagramsToSend()) deliver(x, d, B);
    expect(x.server.stats.pathValidations).toBe(1);
    expect(x.server.stats.unvalidatedHeldBytes).toBe(0);
  });

  it('a late record from the old address starts no challenge: only traffic from the address being checked does', async () => {
    const x = await established();
    x.p.client.send(utf8('sent at A, arrives late'));
    const [late] = x.p.client.datagramsToSend();
    if (late === undefined) throw new Error('no datagram');
    clientSends(x, 'moved', B);
    expect(x.server.stats.pathChallenges).toBe(1);
    x.p.now += 1000;
    deliver(x, late, A); // authenticates, not the newest: the peer stays at B
    expect(x.server.peerAddress).toEqual(B);
    expect(x.server.stats.pathChallenges).toBe(1);
    clientSends(x, 'again from B', B);
    expect(x.server.stats.pathChallenges).toBe(2);
  });

  it('ignored: path_drop, an unknown msg_type, a short message, and any RRC record when rrc was not negotiated', async () => {
    const x = await established();
    const send = (payload: Uint8Array): Uint8Array[] => {
      x.p.client.receive(recordsOf(x.server).seal(ContentType.return_routability_check, payload), x.p.now);
      return x.p.client.datagramsToSend();
    };
    const cookie = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    expect(send(encodeRrcMessage(RrcMessageType.path_drop, cookie))).toEqual([]);
    expect(send(Uint8Array.of(7, ...cookie))).toEqual([]);
    expect(send(Uint8Array.of(0, 1, 2))).toEqual([]);
    expect(send(encodeRrcMessage(RrcMessageType.path_challenge, cookie))).toHaveLength(1); // the control: answered
    expect(x.p.client.state).toBe('established');
    const plain = await established({ client: { connectionId: { length: 4 } }, server: { connectionId: { length: 8 } } });
    plain.p.client.receive(recordsOf(plain.server).seal(ContentType.return_routability_check, encodeRrcMessage(RrcMessageType.path_challenge, cookie)), plain.p.now);
    expect(plain.p.client.datagramsToSend()).toEqual([]);
    expect(plain.p.client.state).toBe('established');
    // Without rrc a move is bounded and never validated (no challenge is sent).
    clientSends(plain, 'moved', B);
    expect(plain.server.stats.pathChallenges).toBe(0);
  });
});
