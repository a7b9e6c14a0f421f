/**
 * A synchronous, in-memory pump for fuzzing: one client, the stateless ServerEndpoint, the
 * connection it accepts and any further connections a mutated ClientHello gets accepted, on a
 * virtual clock. Every call into the engine goes through `call`, which counts datagrams and
 * turns an exception that escapes the engine into a recorded failure (the engine promises that
 * receive(), handleTimeout() and ServerEndpoint.handle() never throw for anything the peer sends).
 */
import { bytesEqual } from '../../src/bytes.js';
import type { ClientOptions, ServerOptions } from '../../src/config.js';
import { DtlsConnection, type DtlsEvent } from '../../src/connection.js';
import { ServerEndpoint } from '../../src/endpoint/server-endpoint.js';
import { DtlsError } from '../../src/errors.js';

export type Direction = 'c2s' | 's2c';

/** What the tap delivers for one datagram in flight (the original, mutants, or nothing). */
export type FuzzTap = (datagram: Uint8Array, direction: Direction, index: number) => Uint8Array[];

export const PEER = '203.0.113.9:5684';
/** Connections accepted from mutated ClientHellos that are kept and driven to their end. */
const MAX_EXTRA_CONNECTIONS = 4;

interface Side {
  readonly conn: DtlsConnection;
  readonly events: DtlsEvent[];
}

export class FuzzPump {
  readonly endpoint: ServerEndpoint;
  readonly client: Side;
  server: Side | undefined;
  /** Connections accepted by the endpoint after the first one (a mutated ClientHello whose cookie still verified). */
  readonly extras: Side[] = [];
  now = 0;
  /** Datagrams handed to receive() or ServerEndpoint.handle(). */
  datagrams = 0;
  /** Bytes handed to the endpoint and bytes it answered statelessly (no amplification). */
  endpointBytesIn = 0;
  endpointBytesOut = 0;
  /** Every datagram that crossed the tap, before the tap changed it. */
  readonly wire: { direction: Direction; datagram: Uint8Array }[] = [];
  readonly failures: string[] = [];
  /** Datagrams received per side and handshake state (what the fuzzer reached). */
  readonly reached = new Map<string, number>();
  /** Payloads the applications sent, per direction: anything else delivered as data is forged. */
  readonly sent: Record<Direction, Uint8Array[]> = { c2s: [], s2c: [] };

  constructor(
    client: ClientOptions,
    server: ServerOptions,
    private readonly tap: FuzzTap | undefined,
  ) {
    this.endpoint = new ServerEndpoint(server);
    this.client = { conn: DtlsConnection.client(client), events: [] };
  }

  /** Runs `f`; an exception is a failure of the engine's contract, recorded with what was being done. */
  call(what: string, f: () => void): void {
    try {
      f();
    } catch (err) {
      this.failures.push(`${what} threw: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
    }
  }

  private sides(): Side[] {
    return this.server ? [this.client, this.server, ...this.extras] : [this.client, ...this.extras];
  }

  start(): void {
    this.call('connect', () => this.client.conn.connect(this.now));
  }

  private filter(datagram: Uint8Array, direction: Direction): Uint8Array[] {
    const index = this.wire.length;
    this.wire.push({ direction, datagram });
    return this.tap ? this.tap(datagram, direction, index) : [datagram];
  }

  /** The network to the server: the endpoint until a connection exists, then that connection. */
  toServer(d: Uint8Array): void {
    this.datagrams++;
    if (this.server) {
      const conn = this.server.conn;
      this.count(`server ${conn.handshakeState}`);
      this.call('server receive', () => conn.receive(d, this.now));
      // The runtime's demultiplexer hands the endpoint whatever has no connection; feeding it every
      // datagram too exercises the stateless path with everything the mutator makes.
      this.toEndpoint(d, false);
      return;
    }
    this.toEndpoint(d, true);
  }

  private count(key: string): void {
    this.reached.set(key, (this.reached.get(key) ?? 0) + 1);
  }

  private toEndpoint(d: Uint8Array, live: boolean): void {
    if (!live) this.datagrams++;
    this.count('endpoint');
    this.endpointBytesIn += d.length;
    this.call('endpoint handle', () => {
      const r = this.endpoint.handle(d, PEER, this.now);
      if (r.type === 'reply') {
        this.endpointBytesOut += r.datagram.length;
        // RFC 6347 4.2.1: the answer to a cookie-less ClientHello is no larger than what it answers.
        if (r.datagram.length > d.length && this.endpointBytesOut > this.endpointBytesIn) {
          this.failures.push(`endpoint reply of ${r.datagram.length} bytes to a datagram of ${d.length}`);
        }
        if (live) for (const out of this.filter(r.datagram, 's2c')) this.toClient(out);
      } else if (r.type === 'accept') {
        const side = { conn: r.connection, events: [] };
        if (live && !this.server) this.server = side;
        else if (this.extras.length < MAX_EXTRA_CONNECTIONS) this.extras.push(side);
        else {
          // Past the cap: the runtime would refuse it; the engine must still end cleanly when told to.
          side.conn.abort();
          this.checkSide(side, 'refused extra');
        }
      }
    });
  }

  toClient(d: Uint8Array): void {
    this.datagrams++;
    this.count(`client ${this.client.conn.handshakeState}`);
    this.call('client receive', () => this.client.conn.receive(d, this.now));
  }

  /** Moves every pending datagram once in each direction; returns how many crossed. */
  step(): number {
    let moved = 0;
    let out: Uint8Array[] = [];
    this.call('client datagramsToSend', () => (out = this.client.conn.datagramsToSend()));
    for (const d of out) {
      moved++;
      for (const m of this.filter(d, 'c2s')) this.toServer(m);
    }
    const server = this.server;
    if (server) {
      out = [];
      this.call('server datagramsToSend', () => (out = server.conn.datagramsToSend()));
      for (const d of out) {
        moved++;
        for (const m of this.filter(d, 's2c')) this.toClient(m);
      }
    }
    // Extra connections talk to nobody: what they send is lost.
    for (const e of this.extras) this.call('extra datagramsToSend', () => e.conn.datagramsToSend());
    this.drain();
    return moved;
  }

  drain(): void {
    for (const s of this.sides()) {
      this.call('pollEvent', () => {
        for (let e; (e = s.conn.pollEvent()); ) s.events.push(e);
      });
    }
  }

  /**
   * Pumps until nothing moves and no timer is left (every handshake over: done, failed or timed
   * out), firing timers in virtual time. A connection still handshaking must always have a timer
   * (else it would hang); `maxRounds` bounds the whole thing.
   */
  run(maxRounds = 20_000): void {
    for (let round = 0; round < maxRounds; round++) {
      if (this.step() > 0) continue;
      let next: number | undefined;
      for (const s of this.sides()) {
        const c = s.conn;
        if (c.state !== 'handshaking') continue;
        const t = c.nextTimeout();
        if (t === undefined) {
          this.failures.push(`a ${c.isClient ? 'client' : 'server'} in ${c.handshakeState} has no timer: it would hang`);
          return;
        }
        if (next === undefined || t < next) next = t;
      }
      if (next === undefined) return;
      this.now = Math.max(this.now, next);
      for (const s of this.sides()) {
        const t = s.conn.nextTimeout();
        if (t !== undefined && t <= this.now) this.call('handleTimeout', () => s.conn.handleTimeout(this.now));
      }
    }
    this.failures.push(`pump did not settle within ${maxRounds} rounds`);
  }

  /** Application data from one side (only once established). */
  send(direction: Direction, data: Uint8Array): void {
    const side = direction === 'c2s' ? this.client : this.server;
    if (!side || side.conn.state !== 'established') return;
    this.sent[direction].push(data);
    this.call('send', () => side.conn.send(data));
  }

  /** The end state of every connection: over or established, typed errors only, no forged data. */
  check(): void {
    this.drain();
    this.checkSide(this.client, 'client');
    if (this.server) this.checkSide(this.server, 'server');
    this.extras.forEach((e, i) => this.checkSide(e, `extra ${i}`));
    const c = this.client.conn;
    const s = this.server?.conn;
    if (s && c.state === 'established' && s.state === 'established' && c.error === undefined && s.error === undefined) {
      // Both sides finished: they must hold the same session (a Finished was verified on each side).
      if (c.keyLogLine !== s.keyLogLine || c.cipherSuite !== s.cipherSuite) this.failures.push('both established with different sessions');
    }
  }

  private checkSide(side: Side, name: string): void {
    const c = side.conn;
    if (c.state !== 'established' && c.state !== 'closed') this.failures.push(`${name} left in state ${c.state} (${c.handshakeState})`);
    if (c.error !== undefined && !(c.error instanceof DtlsError)) this.failures.push(`${name} ended with an untyped error`);
    const from: Direction = side === this.client ? 's2c' : 'c2s';
    for (const e of side.events) {
      if (e.type === 'close' && e.error !== undefined && !(e.error instanceof DtlsError)) this.failures.push(`${name}: untyped close error`);
      if (e.type === 'data' && !this.sent[from].some((p) => bytesEqual(p, e.data))) this.failures.push(`${name} delivered data nobody sent`);
    }
  }
}
