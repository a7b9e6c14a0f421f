/**
 * What an established, idle connection keeps once its handshake is over. A server may hold a
 * hundred thousand of them, so nothing the handshake needed may stay behind for the connection's
 * life: the transcript, the message our last flight answered, lookups, queues. Only the last
 * flight stays, as RFC 6347 4.2.4 requires of the side that sent it: "when in the FINISHED state,
 * the node that transmits the last flight ... MUST respond to a retransmit of the peer's last
 * flight with a retransmit of the last flight" — until the peer shows it has that flight (it sends
 * under the new keys something other than its handshake: application data, an alert).
 *
 * Figures of the heap probe on the machine it was written on (Node 20, bytes of heap per idle
 * established PSK server connection, the client gone, best of three runs of 2,000): ~6,500 before
 * (48950c0), ~5,050 after. The bound fails 48950c0 and leaves room for noise and other V8 versions.
 */
import { describe, expect, it } from 'vitest';
import { DtlsConnection } from '../../src/connection.js';
import { ServerEndpoint } from '../../src/endpoint/server-endpoint.js';
import { ServerHandshake } from '../../src/handshake/dtls12/server-handshake.js';
import { Dtls13RecordLayer } from '../../src/record/dtls13-record-layer.js';
import { fullGc } from '../support/full-gc.js';
import { clientPsk, serverPsk } from '../support/psk.js';
import { ServerNode } from '../support/server-node.js';

const SUITE = 'PSK-AES128-GCM-SHA256';
const CONNECTIONS = 2_000;
const CONNECTIONS_13 = 1_000;
type Version = 'DTLSv1.2' | 'DTLSv1.3';
/**
 * Bytes of heap per idle established server connection this test allows (48950c0: ~6,500; then
 * ~5,050; the DTLS 1.3 work since grew it to 5,785-5,890, best of three). Measured at 1b0a3bf on a
 * loaded 2-core machine: 5,809; now 5,109-5,162 (the kept last flight, randoms, master secret
 * and PSK identity packed into one buffer each, packed-bytes.ts). The bound fails 1b0a3bf and
 * leaves ~6% for a loaded CI machine (which measured ~70 bytes above a quiet one before).
 */
const MAX_BYTES_PER_CONNECTION = 5_500;
/**
 * The same for DTLS 1.3, the default version (1,000 connections: each handshake runs X25519).
 * 1b0a3bf: 12,660 (the handshake's epoch 0 and 2 keys, a completed flight's ledger, separate
 * arrays for each secret); then 8,132-8,469, best of three on the same machine. Fails 1b0a3bf.
 * 67ef20a: 8,132-8,469; then 7,438-7,612 best of three (single runs 7,438-8,290; a loaded 2-core
 * machine): epoch 2's read keys go when the client's ACK of our ticket comes under epoch 3, not
 * only at its first data; now 7,167 (the DTLS 1.2 record layer's epochs, unused once the
 * connection is DTLS 1.3, shared). The bound fails 67ef20a and leaves ~7% for a loaded CI machine.
 */
const MAX_BYTES_PER_CONNECTION_13 = 7_700;

/** The server handshake inside a connection (private: reached the way bug-classes/inject.ts does). */
function serverHandshakeOf(conn: DtlsConnection): ServerHandshake {
  const handshake: unknown = Reflect.get(conn, 'handshake');
  if (!(handshake instanceof ServerHandshake)) throw new Error('not a server connection');
  return handshake;
}

/** The DTLS 1.3 record layer of a connection (private: reached as serverHandshakeOf does). */
function dtls13LayerOf(conn: DtlsConnection): Dtls13RecordLayer {
  const layer: unknown = Reflect.get(Reflect.get(conn, 'records'), 'dtls13');
  if (!(layer instanceof Dtls13RecordLayer)) throw new Error('not a DTLS 1.3 connection');
  return layer;
}

/** A client and the connection `endpoint` accepts for it, at `peer`; the test carries the datagrams. */
class Link {
  readonly client: DtlsConnection;
  readonly node: ServerNode;
  now = 0;

  constructor(endpoint: ServerEndpoint, peer: string, version: Version = 'DTLSv1.2') {
    // DTLS 1.3 with its default suites (cipherSuites names DTLS 1.2's only).
    this.client = DtlsConnection.client(version === 'DTLSv1.2' ? { maxVersion: version, psk: clientPsk(), cipherSuites: SUITE } : { maxVersion: version, psk: clientPsk() });
    this.node = new ServerNode(endpoint, peer);
    this.client.connect(this.now);
  }

  get server(): DtlsConnection {
    const c = this.node.connection;
    if (c === undefined) throw new Error('no server connection yet');
    return c;
  }

  /** The client's pending datagrams. */
  fromClient(): Uint8Array[] {
    return this.client.datagramsToSend();
  }

  /** The server's pending datagrams (the endpoint's stateless replies included). */
  fromServer(): Uint8Array[] {
    return this.node.datagramsToSend();
  }

  toServer(datagrams: readonly Uint8Array[]): void {
    for (const d of datagrams) this.node.receive(d, this.now);
  }

  toClient(datagrams: readonly Uint8Array[]): void {
    for (const d of datagrams) this.client.receive(d, this.now);
  }

  /** Delivers everything both ways until nothing moves. */
  settle(): void {
    for (let round = 0; round < 20; round++) {
      const c = this.fromClient();
      this.toServer(c);
      const s = this.fromServer();
      this.toClient(s);
      if (c.length === 0 && s.length === 0) return;
    }
    throw new Error('the link did not settle');
  }

  /**
   * Both ways, datagram for datagram, until the server has the client's last flight (its
   * Finished): ClientHello, the cookie exchange, the ClientHello with the cookie, the server's
   * flight (DTLS 1.2: flight 4), the client's (flight 5). The server's answer stays in its queue.
   */
  untilClientFinished(): void {
    for (let i = 0; i < 2; i++) {
      this.toServer(this.fromClient());
      this.toClient(this.fromServer());
    }
    this.toServer(this.fromClient());
  }

  /** Fires the client's retransmission timer and returns the flight it sent again. */
  clientTimeout(): Uint8Array[] {
    const t = this.client.nextTimeout();
    if (t === undefined) throw new Error('the client has no timer armed');
    this.now = t;
    this.client.handleTimeout(this.now);
    return this.fromClient();
  }
}

/** Heap bytes per idle established server connection: `count` handshakes on one endpoint, the clients dropped. */
function bytesPerConnection(round: number, version: Version, count: number): number {
  const gc = fullGc();
  const endpoint = new ServerEndpoint(version === 'DTLSv1.2' ? { maxVersion: version, psk: serverPsk(), cipherSuites: SUITE } : { maxVersion: version, psk: serverPsk() });
  const establish = (i: number): DtlsConnection => {
    const link = new Link(endpoint, `198.51.${round}.${i % 250}:${10_000 + i}`, version);
    link.settle();
    expect(link.client.state).toBe('established');
    // The events a runtime would have polled.
    while (link.server.pollEvent() !== undefined);
    return link.server;
  };
  for (let i = 0; i < 10; i++) establish(i); // warm-up: code compiled, shapes settled
  gc();
  const before = process.memoryUsage().heapUsed;
  const held: DtlsConnection[] = [];
  for (let i = 0; i < count; i++) held.push(establish(i));
  gc();
  const after = process.memoryUsage().heapUsed;
  for (const c of held) expect(c.state).toBe('established');
  return (after - before) / held.length;
}

describe('an established connection keeps only what it still needs', () => {
  it('the server frees its transcript at once, keeps its last flight for a retransmitted client Finished, and frees it once the client sends data', () => {
    const endpoint = new ServerEndpoint({ maxVersion: 'DTLSv1.2', psk: serverPsk(), cipherSuites: SUITE });
    const link = new Link(endpoint, '192.0.2.9:4000');
    link.untilClientFinished();
    expect(link.server.state).toBe('established');
    const lost = link.fromServer(); // flight 6 (ChangeCipherSpec, Finished) is lost
    expect(lost.length).toBeGreaterThan(0);
    expect(link.client.state).toBe('handshaking');

    const handshake = serverHandshakeOf(link.server);
    expect(handshake.transcript.retainedBytes).toBe(0);
    expect(handshake.holdsLastFlight).toBe(true);

    // RFC 6347 4.2.4: the client's timer fires and it retransmits flight 5; the server answers
    // with flight 6 again, though it is established and its transcript is gone. That answer is
    // held up in the network, and the client's timer fires once more.
    link.toServer(link.clientTimeout());
    expect(link.server.stats.retransmissions).toBe(1);
    const resent = link.fromServer();
    expect(resent.length).toBe(lost.length);
    const late = link.clientTimeout();
    expect(late.length).toBeGreaterThan(0);

    // The re-sent flight 6 arrives: the client completes, and its first data shows the server
    // that flight 6 arrived. The flight is freed.
    link.toClient(resent);
    expect(link.client.state).toBe('established');
    link.client.send(Uint8Array.of(1, 2, 3));
    link.toServer(link.fromClient());
    expect(link.server.pollEvent()).toEqual({ type: 'handshake-complete' });
    expect(link.server.pollEvent()).toEqual({ type: 'data', data: Uint8Array.of(1, 2, 3) });
    expect(handshake.holdsLastFlight).toBe(false);

    // The client's second retransmission of flight 5 comes in late: nothing to answer it with,
    // and no need (the client has flight 6). The connection goes on.
    link.toServer(late);
    expect(link.fromServer()).toEqual([]);
    expect(link.server.stats.retransmissions).toBe(1);
    expect(link.server.state).toBe('established');
    link.server.send(Uint8Array.of(4));
    link.toClient(link.fromServer());
    const events = [];
    for (let e = link.client.pollEvent(); e !== undefined; e = link.client.pollEvent()) events.push(e);
    expect(events).toContainEqual({ type: 'data', data: Uint8Array.of(4) });
  });

  it('the client keeps no flight and no transcript once the server Finished is verified', () => {
    const endpoint = new ServerEndpoint({ maxVersion: 'DTLSv1.2', psk: serverPsk(), cipherSuites: SUITE });
    const link = new Link(endpoint, '192.0.2.9:4001');
    link.settle();
    expect(link.client.state).toBe('established');
    const handshake: unknown = Reflect.get(link.client, 'handshake');
    if (typeof handshake !== 'object' || handshake === null) throw new Error('no client handshake');
    const transcript: unknown = Reflect.get(handshake, 'transcript');
    if (typeof transcript !== 'object' || transcript === null) throw new Error('no transcript');
    expect(Reflect.get(transcript, 'retainedBytes')).toBe(0);
    expect(Reflect.get(handshake, 'holdsLastFlight')).toBe(false);
  });

  it('the DTLS 1.3 server drops its handshake write keys at the client Finished, and its handshake read keys once the client sends under epoch 3 (its ACK of our ticket)', () => {
    const endpoint = new ServerEndpoint({ maxVersion: 'DTLSv1.3', psk: serverPsk() });
    const link = new Link(endpoint, '192.0.2.9:4002', 'DTLSv1.3');
    // ClientHello, HelloRetryRequest, ClientHello with the cookie, the server's flight.
    link.untilClientFinished();
    expect(link.server.state).toBe('established');
    const layer = dtls13LayerOf(link.server);
    // RFC 9147 7.1: the client's Finished may come again (our ACK lost): epoch 2 is still read.
    expect(layer.readEpochsHeld).toEqual([2, 3]);
    // Our flight is acknowledged: nothing is sealed in epochs 0 and 2 again.
    expect(() => layer.nextWriteSequence(0)).toThrow();
    expect(() => layer.nextWriteSequence(2)).toThrow();
    expect(layer.nextWriteSequence(3)).toBeGreaterThan(0);

    // Our ACK and NewSessionTicket arrive; the client ACKs the ticket under epoch 3: it is past
    // its final flight, and epoch 2 goes though the client never sends data.
    link.settle();
    expect(link.server.stats.acksReceived).toBeGreaterThan(0);
    expect(layer.readEpochsHeld).toEqual([3]);
    link.client.send(Uint8Array.of(1, 2, 3));
    link.settle();
    const events = [];
    for (let e = link.server.pollEvent(); e !== undefined; e = link.server.pollEvent()) events.push(e);
    expect(events).toContainEqual({ type: 'data', data: Uint8Array.of(1, 2, 3) });
    link.server.send(Uint8Array.of(4));
    link.settle();
    const got = [];
    for (let e = link.client.pollEvent(); e !== undefined; e = link.client.pollEvent()) got.push(e);
    expect(got).toContainEqual({ type: 'data', data: Uint8Array.of(4) });
  });

  it('the DTLS 1.3 server re-ACKs a retransmitted client Finished while it lingers, and drops the handshake read keys at the linger\'s end', () => {
    const endpoint = new ServerEndpoint({ maxVersion: 'DTLSv1.3', psk: serverPsk(), handshakeTimeoutMs: 20_000 });
    const link = new Link(endpoint, '192.0.2.9:4003', 'DTLSv1.3');
    link.untilClientFinished();
    expect(link.server.state).toBe('established');
    const establishedAt = link.now;
    const layer = dtls13LayerOf(link.server);
    expect(link.fromServer().length).toBeGreaterThan(0); // our ACK (and ticket): lost
    expect(link.server.stats.acksSent).toBe(1);

    // RFC 9147 7.1: the client's timer fires and it sends its Finished again (epoch 2); the
    // server, still reading epoch 2, ACKs it again. That ACK is lost too.
    link.toServer(link.clientTimeout());
    expect(link.server.stats.acksSent).toBe(2);
    link.fromServer();
    expect(layer.readEpochsHeld).toEqual([2, 3]);

    // The linger is the engine's timer: the handshake's time (20 s here, under RFC 9147 4.2.1's
    // MSL bound). Idle, nothing from the client; at its end epoch 2 goes.
    const linger = establishedAt + 20_000;
    for (let t = link.server.nextTimeout(); t !== undefined && t < linger; t = link.server.nextTimeout()) {
      link.server.handleTimeout(t);
      link.fromServer(); // the ticket's retransmissions, lost
      expect(layer.readEpochsHeld).toEqual([2, 3]);
    }
    expect(link.server.nextTimeout()).toBeLessThanOrEqual(linger);
    link.server.handleTimeout(linger);
    expect(layer.readEpochsHeld).toEqual([3]);

    // A Finished that comes after is not read (no keys of its epoch: held as a future epoch's
    // record, bounded, or dropped) and not answered.
    const unreadBefore = layer.stats.unknownEpoch + layer.stats.held;
    link.now = linger;
    link.toServer(link.clientTimeout());
    expect(layer.stats.unknownEpoch + layer.stats.held).toBe(unreadBefore + 1);
    expect(link.server.stats.acksSent).toBe(2);
    expect(link.server.state).toBe('established');
  });

  it(`${CONNECTIONS} idle established DTLS 1.2 server connections cost under ${MAX_BYTES_PER_CONNECTION} heap bytes each`, () => {
    const runs = [1, 2, 3].map((round) => Math.round(bytesPerConnection(round, 'DTLSv1.2', CONNECTIONS)));
    const best = Math.min(...runs);
    console.log(`idle established DTLS 1.2 server connection (PSK): ${runs.join(', ')} bytes of heap each (${CONNECTIONS} per run); best ${best}`);
    expect(best).toBeGreaterThan(0);
    expect(best).toBeLessThanOrEqual(MAX_BYTES_PER_CONNECTION);
  });

  // Fewer, and more time: each DTLS 1.3 handshake runs an X25519 exchange (psk_dhe_ke).
  it(`${CONNECTIONS_13} idle established DTLS 1.3 server connections cost under ${MAX_BYTES_PER_CONNECTION_13} heap bytes each`, { timeout: 120_000 }, () => {
    const runs = [4, 5, 6].map((round) => Math.round(bytesPerConnection(round, 'DTLSv1.3', CONNECTIONS_13)));
    const best = Math.min(...runs);
    console.log(`idle established DTLS 1.3 server connection (PSK): ${runs.join(', ')} bytes of heap each (${CONNECTIONS_13} per run); best ${best}`);
    expect(best).toBeGreaterThan(0);
    expect(best).toBeLessThanOrEqual(MAX_BYTES_PER_CONNECTION_13);
  });
});
