/**
 * A tiny deterministic in-memory pump for engine tests: one client DtlsConnection, one
 * ServerEndpoint (and the connection it accepts), a virtual clock, and a tap through which a
 * test can watch, drop, rewrite or add datagrams in either direction (an on-path attacker).
 * Datagrams are delivered in order, at once; time moves only when both sides are idle and a
 * timer is due. Asynchronous credential lookups settle between rounds (setImmediate).
 */
import { expect } from 'vitest';
import { concatBytes } from '../../src/bytes.js';
import type { ClientOptions, ServerOptions } from '../../src/config.js';
import { DtlsConnection, type DtlsEvent } from '../../src/connection.js';
import { ServerEndpoint } from '../../src/endpoint/server-endpoint.js';
import { DtlsError } from '../../src/errors.js';
import { decodeHandshakeFragments, encodeHandshakeFragment, type HandshakeFragment } from '../../src/handshake/handshake-header.js';
import { ContentType } from '../../src/record/content-type.js';
import { splitRecords } from '../../src/record/datagram.js';
import { DTLS_1_2_VERSION, encodeRecord } from '../../src/record/record-header.js';
import type { RecordLayer } from '../../src/record/record-layer.js';
import { closeEvent, EventLog } from '../support/event-log.js';
import { clientPsk, serverPsk } from '../support/psk.js';
import { ServerNode } from '../support/server-node.js';

export const PEER = '192.0.2.7:40000';

export type Direction = 'c2s' | 's2c';

/** Sees every datagram in flight; returns what is actually delivered (nothing, the same, rewritten, more). */
export type Tap = (datagram: Uint8Array, direction: Direction, index: number) => Uint8Array[];

export interface PairOptions {
  client?: Partial<ClientOptions>;
  server?: Partial<ServerOptions>;
  peer?: string;
  tap?: Tap;
  /** A server endpoint shared with another pair (session resumption); default a new one from `server`. */
  endpoint?: ServerEndpoint;
}

export class Pair {
  readonly endpoint: ServerEndpoint;
  readonly client: DtlsConnection;
  now = 0;
  readonly peer: string;
  tap: Tap | undefined;
  /** Every datagram that crossed the tap, in order (before the tap changed it). */
  readonly wire: { direction: Direction; datagram: Uint8Array }[] = [];
  /** Datagrams the endpoint answered statelessly (HelloVerifyRequests, alerts). */
  readonly endpointReplies: Uint8Array[] = [];
  private readonly clientLog = new EventLog();
  private readonly serverLog = new EventLog();
  readonly clientEvents: DtlsEvent[] = this.clientLog.events;
  readonly serverEvents: DtlsEvent[] = this.serverLog.events;
  private readonly node: ServerNode;
  private woken = false;

  constructor(options: PairOptions = {}) {
    // The flows these tests script (message by message, state by state) are DTLS 1.2's: both sides
    // pin it unless the test's own options say otherwise.
    this.endpoint = options.endpoint ?? new ServerEndpoint({ psk: serverPsk(), maxVersion: 'DTLSv1.2', ...options.server });
    this.client = DtlsConnection.client({ psk: clientPsk(), maxVersion: 'DTLSv1.2', ...options.client });
    this.client.onWake = () => (this.woken = true);
    this.peer = options.peer ?? PEER;
    this.tap = options.tap;
    // Endpoint replies reach the client at once, through the tap.
    this.node = new ServerNode(this.endpoint, this.peer, (reply) => {
      this.endpointReplies.push(reply);
      for (const d of this.filter(reply, 's2c')) this.client.receive(d, this.now);
    });
    this.node.onWake = () => (this.woken = true);
  }

  /** The connection the endpoint accepted, once it verified a cookie. */
  get server(): DtlsConnection | undefined {
    return this.node.connection;
  }

  start(): this {
    this.client.connect(this.now);
    return this;
  }

  private filter(datagram: Uint8Array, direction: Direction): Uint8Array[] {
    const index = this.wire.length;
    this.wire.push({ direction, datagram });
    return this.tap ? this.tap(datagram, direction, index) : [datagram];
  }

  /** Hands a datagram to the server side as the network would (endpoint until a connection exists). */
  toServer(datagram: Uint8Array): void {
    this.node.receive(datagram, this.now);
  }

  /** Moves every pending datagram once in each direction; returns how many crossed. */
  step(): number {
    let moved = 0;
    for (const d of this.client.datagramsToSend()) {
      moved++;
      for (const out of this.filter(d, 'c2s')) this.toServer(out);
    }
    if (this.server) {
      for (const d of this.server.datagramsToSend()) {
        moved++;
        for (const out of this.filter(d, 's2c')) this.client.receive(out, this.now);
      }
    }
    this.drainEvents();
    return moved;
  }

  drainEvents(): void {
    this.clientLog.drain(this.client, this.now);
    this.serverLog.drain(this.server, this.now);
  }

  private conns(): DtlsConnection[] {
    return this.server ? [this.client, this.server] : [this.client];
  }

  /**
   * Pumps until nothing moves and no timer is due before `now + maxMs` (timers fire in virtual
   * time). Bounded: at most `maxRounds` rounds, so a bug shows up as a failed test, not a hang.
   */
  async run(maxMs = 0, maxRounds = 2000): Promise<void> {
    const until = this.now + maxMs;
    for (let round = 0; round < maxRounds; round++) {
      if (this.step() > 0) continue;
      // Let asynchronous lookups settle, then run whatever they made ready.
      await new Promise((r) => setImmediate(r));
      this.woken = false;
      let ran = false;
      for (const c of this.conns()) {
        const t = c.nextTimeout();
        if (t !== undefined && t <= this.now) {
          c.handleTimeout(this.now);
          ran = true;
        }
      }
      if (ran || this.woken) continue;
      // A lookup still pending (it may take real time, e.g. a timer in the test's callback).
      if (this.conns().some((c) => c.state === 'handshaking' && (c.handshakeState === 'wait_psk' || c.handshakeState === 'wait_sni' || c.handshakeState === 'wait_session'))) {
        await new Promise((r) => setTimeout(r, 1));
        continue;
      }
      let next: number | undefined;
      for (const c of this.conns()) {
        const t = c.nextTimeout();
        if (t !== undefined && (next === undefined || t < next)) next = t;
      }
      if (next === undefined || next > until) {
        this.drainEvents();
        return;
      }
      this.now = Math.max(this.now, next);
    }
    throw new Error(`pump did not settle within ${maxRounds} rounds`);
  }

  /** Runs a whole handshake and checks that both sides completed it. */
  async handshake(): Promise<this> {
    this.start();
    await this.run();
    expect(this.client.error).toBeUndefined();
    expect(this.server?.error).toBeUndefined();
    expect(this.client.state).toBe('established');
    expect(this.server?.state).toBe('established');
    return this;
  }

  get s(): DtlsConnection {
    if (!this.server) throw new Error('no server connection yet');
    return this.server;
  }
}

/** Asserts the side that found the problem ended with `alert` (its own), and told nothing else. */
export function expectLocalFailure(conn: DtlsConnection, events: readonly DtlsEvent[], alert: number): void {
  expect(conn.state).toBe('closed');
  expect(conn.error).toBeInstanceOf(DtlsError);
  expect(conn.error?.alertName).toBe(new DtlsError(alert, '').alertName);
  expect(conn.error?.fromPeer).toBe(false);
  const close = closeEvent(events);
  expect(close?.error).toBe(conn.error);
}

/** Asserts the other side was told: its close event carries `alert` with fromPeer = true. */
export function expectPeerFailure(conn: DtlsConnection | undefined, events: readonly DtlsEvent[], alert: number): void {
  expect(conn?.state).toBe('closed');
  const close = closeEvent(events);
  expect(close).toBeDefined();
  expect(close?.error?.alertName).toBe(new DtlsError(alert, '').alertName);
  expect(close?.error?.fromPeer).toBe(true);
}

/** The private record layer of a connection: tests use it to forge records the peer can authenticate. */
export function recordsOf(conn: DtlsConnection): RecordLayer {
  return (conn as unknown as { records: RecordLayer }).records;
}

/** One plaintext record. */
export function plainRecord(type: number, payload: Uint8Array, sequenceNumber: number, epoch = 0, version = DTLS_1_2_VERSION): Uint8Array {
  return encodeRecord({ type, version, epoch, sequenceNumber }, payload);
}

/** A whole handshake message as one fragment. */
export function handshakeFragment(msgType: number, messageSeq: number, body: Uint8Array): Uint8Array {
  return encodeHandshakeFragment({ msgType, length: body.length, messageSeq, fragmentOffset: 0, body });
}

/**
 * Rewrites the epoch-0 handshake fragments of a datagram (an on-path attacker: plaintext is
 * all it can touch). `edit` returns the fragments to put in place of one (none drops it);
 * a record left with no fragment is dropped. Other records pass unchanged.
 */
export function editHandshake(datagram: Uint8Array, edit: (f: HandshakeFragment) => HandshakeFragment[]): Uint8Array {
  const out: Uint8Array[] = [];
  for (const r of splitRecords(datagram)) {
    if (r.header.type !== ContentType.handshake || r.header.epoch !== 0) {
      out.push(encodeRecord(r.header, r.fragment));
      continue;
    }
    const fragments = decodeHandshakeFragments(r.fragment).flatMap(edit);
    if (fragments.length === 0) continue;
    out.push(encodeRecord(r.header, concatBytes(...fragments.map(encodeHandshakeFragment))));
  }
  return concatBytes(...out);
}

/** A whole-message fragment with a new body (length fields follow). */
export function withBody(f: HandshakeFragment, body: Uint8Array): HandshakeFragment {
  return { ...f, length: body.length, fragmentOffset: 0, body };
}
