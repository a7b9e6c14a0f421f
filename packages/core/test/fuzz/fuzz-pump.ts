/**
 * A synchronous, in-memory pump for fuzzing: one client, the stateless ServerEndpoint, the
 * connection it accepts and any further connections a mutated ClientHello gets accepted, on a
 * virtual clock. Every call into the engine goes through `call`, which counts datagrams and
 * turns an exception that escapes the engine into a recorded failure (the engine promises that
 * receive(), handleTimeout() and ServerEndpoint.handle() never throw for anything the peer sends).
 *
 * Datagrams to the server also go through a ConnectionTable as a runtime routes them: the
 * server's connection at the client's address and, once negotiated, by its CID (RFC 9146), next
 * to a decoy connection's CID of the same length. Given a `probes` source, every genuine
 * tls12_cid datagram that was delivered is followed by hostile variants of it (cid-probes.ts),
 * routed from a third address and from the real one: each must go where its CID says, and
 * none may change the connection it reaches (state, error, events, peer address).
 */
import { bytesEqual, toHex } from '../../src/bytes.js';
import type { ClientOptions, ServerOptions } from '../../src/config.js';
import { DtlsConnection, type DtlsEvent } from '../../src/connection.js';
import { ConnectionTable } from '../../src/endpoint/connection-table.js';
import { peerKey, type PeerAddress } from '../../src/endpoint/peer-address.js';
import { ServerEndpoint } from '../../src/endpoint/server-endpoint.js';
import { DtlsError } from '../../src/errors.js';

export type Direction = 'c2s' | 's2c';

/** What the tap delivers for one datagram in flight (the original, mutants, or nothing). */
export type FuzzTap = (datagram: Uint8Array, direction: Direction, index: number) => Uint8Array[];

export const PEER_ADDRESS: PeerAddress = { address: '203.0.113.9', port: 5684 };
export const PEER = peerKey(PEER_ADDRESS);
/** Where the client's datagrams come from as the client sees them. */
export const SERVER_ADDRESS: PeerAddress = { address: '192.0.2.1', port: 4433 };
/** An address neither peer uses: an off-path attacker, or a peer after a NAT rebinding. */
export const THIRD_ADDRESS: PeerAddress = { address: '198.51.100.23', port: 7000 };
/** Where the CID sits in a tls12_cid record: after type, version, epoch, sequence_number (RFC 9146 4). */
const CID_OFFSET = 11;

/**
 * Hostile variants of a genuine tls12_cid datagram that was just delivered; `cidLength` is the
 * receiver's CID length, `decoy` another connection's CID of that length.
 */
export type CidProbeSource = (datagram: Uint8Array, cidLength: number, decoy: Uint8Array) => Uint8Array[];

/** Another connection in the server's table, known by its CID only: a record with its CID is not ours. */
interface Decoy {
  readonly decoy: true;
}
/** Connections accepted from mutated ClientHellos that are kept and driven to their end. */
const MAX_EXTRA_CONNECTIONS = 4;

interface Side {
  readonly conn: DtlsConnection;
  readonly events: DtlsEvent[];
}

function isSide(t: Side | Decoy): t is Side {
  return 'conn' in t;
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
  /** The server's routing, as a runtime keeps it (RFC 6347 4.2.8 restarts, RFC 9146 CIDs). */
  readonly table = new ConnectionTable<Side | Decoy>({
    clientRandom: (c) => (isSide(c) ? c.conn.clientRandom : undefined),
    established: (c) => isSide(c) && c.conn.state === 'established',
  });
  private readonly decoy: Decoy = { decoy: true };
  /** The server connection's CID and the decoy's, once bound in the table. */
  private boundCid: Uint8Array | undefined;
  private decoyCid: Uint8Array | undefined;

  constructor(
    client: ClientOptions,
    server: ServerOptions,
    private readonly tap: FuzzTap | undefined,
    private readonly probes?: CidProbeSource,
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
      this.checkRoute(d, PEER_ADDRESS);
      this.call('server receive', () => conn.receive(d, this.now, PEER_ADDRESS));
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

  /**
   * Where the table sends a datagram from `from`; a record that starts with the bound CID must
   * reach the server's connection, one with the decoy's CID the decoy (RFC 9146 4: the CID names
   * the connection whatever the source address), and nothing else may reach the decoy.
   */
  private checkRoute(d: Uint8Array, from: PeerAddress): Side | Decoy | 'endpoint' | 'drop' | undefined {
    let routed: Side | Decoy | 'endpoint' | 'drop' | undefined;
    this.call('table route', () => {
      const r = this.table.route(d, from);
      routed = r.type === 'connection' ? r.connection : r.type;
    });
    const carries = (cid: Uint8Array | undefined): boolean =>
      cid !== undefined && d[0] === 25 && d.length >= CID_OFFSET + cid.length && bytesEqual(d.subarray(CID_OFFSET, CID_OFFSET + cid.length), cid);
    const where = routed === undefined || typeof routed === 'string' ? String(routed) : isSide(routed) ? 'a connection' : 'the decoy';
    if (carries(this.boundCid) && (routed === undefined || routed !== this.server)) {
      this.failures.push(`a record with the server's CID from ${peerKey(from)} was routed to ${where}`);
    }
    if (routed === this.decoy && !carries(this.decoyCid)) this.failures.push(`a record without the decoy's CID was routed to it from ${peerKey(from)}`);
    if (carries(this.decoyCid) && routed !== this.decoy) this.failures.push(`a record with the decoy's CID was routed to ${where}`);
    return routed;
  }

  /** Binds the server connection's CID (and a decoy's of the same length) once the handshake negotiated one. */
  private bindConnectionIds(): void {
    const server = this.server;
    if (!server || this.boundCid !== undefined) return;
    const cid = server.conn.connectionId?.receive;
    if (cid === undefined || cid.length === 0) return;
    const decoy = cid.map((b) => b ^ 0x5a);
    if (!this.table.bindConnectionId(cid, server)) this.failures.push(`the server's CID ${toHex(cid)} could not be bound`);
    if (!this.table.bindConnectionId(decoy, this.decoy)) this.failures.push(`the decoy CID ${toHex(decoy)} could not be bound`);
    this.boundCid = cid;
    this.decoyCid = decoy;
  }

  private toEndpoint(d: Uint8Array, live: boolean, from: PeerAddress = PEER_ADDRESS): void {
    if (!live) this.datagrams++;
    this.count('endpoint');
    this.endpointBytesIn += d.length;
    this.call('endpoint handle', () => {
      const r = this.endpoint.handle(d, peerKey(from), this.now);
      if (r.type === 'reply') {
        this.endpointBytesOut += r.datagram.length;
        // RFC 6347 4.2.1: the answer to a cookie-less ClientHello is no larger than what it answers.
        if (r.datagram.length > d.length && this.endpointBytesOut > this.endpointBytesIn) {
          this.failures.push(`endpoint reply of ${r.datagram.length} bytes to a datagram of ${d.length}`);
        }
        if (live) for (const out of this.filter(r.datagram, 's2c')) this.toClient(out);
      } else if (r.type === 'accept') {
        const side = { conn: r.connection, events: [] };
        if (live && !this.server) {
          this.server = side;
          this.table.insert(from, side);
        } else if (this.extras.length < MAX_EXTRA_CONNECTIONS) this.extras.push(side);
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
    this.call('client receive', () => this.client.conn.receive(d, this.now, SERVER_ADDRESS));
  }

  /** The CID probes of a genuine datagram that was delivered (RFC 9146 4 records only). */
  private probe(d: Uint8Array, direction: Direction): void {
    if (!this.probes || d[0] !== 25) return;
    const receiver = direction === 'c2s' ? this.server : this.client;
    const cid = receiver?.conn.connectionId?.receive;
    if (!receiver || cid === undefined || cid.length === 0) return;
    const decoy = direction === 'c2s' ? this.decoyCid : cid.map((b) => b ^ 0x5a);
    if (decoy === undefined) return;
    for (const m of this.probes(d, cid.length, decoy)) {
      for (const from of [THIRD_ADDRESS, direction === 'c2s' ? PEER_ADDRESS : SERVER_ADDRESS]) this.deliverProbe(m, direction, from);
    }
  }

  /** One probe, routed as a runtime would; whatever connection it reaches must not change. */
  private deliverProbe(d: Uint8Array, direction: Direction, from: PeerAddress): void {
    let target: Side | undefined = this.client;
    if (direction === 'c2s') {
      const routed = this.checkRoute(d, from);
      this.count(`cid probe to ${routed === undefined || typeof routed === 'string' ? String(routed) : isSide(routed) ? 'connection' : 'decoy'}`);
      // The stateless endpoint gets what no connection claims (toEndpoint counts the datagram).
      if (routed === 'endpoint') return this.toEndpoint(d, false, from);
      target = routed !== undefined && typeof routed !== 'string' && isSide(routed) ? routed : undefined;
    } else {
      this.count('cid probe to client');
    }
    this.datagrams++;
    if (!target) return;
    const side = target;
    this.drain();
    const before = snapshot(side);
    this.call(`${direction === 'c2s' ? 'server' : 'client'} receive (CID probe)`, () => side.conn.receive(d, this.now, from));
    this.drain();
    const after = snapshot(side);
    for (const k of Object.keys(before)) {
      if (before[k] !== after[k]) {
        this.failures.push(`a CID probe from ${peerKey(from)} changed the ${direction === 'c2s' ? 'server' : 'client'}'s ${k}: ${before[k]} -> ${after[k]}`);
      }
    }
  }

  /** Moves every pending datagram once in each direction; returns how many crossed. */
  step(): number {
    let moved = 0;
    let out: Uint8Array[] = [];
    this.call('client datagramsToSend', () => (out = this.client.conn.datagramsToSend()));
    for (const d of out) {
      moved++;
      const delivered = this.filter(d, 'c2s');
      for (const m of delivered) this.toServer(m);
      this.bindConnectionIds();
      if (delivered.some((m) => bytesEqual(m, d))) this.probe(d, 'c2s');
    }
    const server = this.server;
    if (server) {
      out = [];
      this.call('server datagramsToSend', () => (out = server.conn.datagramsToSend()));
      for (const d of out) {
        moved++;
        const delivered = this.filter(d, 's2c');
        for (const m of delivered) this.toClient(m);
        this.bindConnectionIds();
        if (delivered.some((m) => bytesEqual(m, d))) this.probe(d, 's2c');
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

/** What a record that is dropped must leave as it was. */
function snapshot(side: Side): Record<string, string> {
  const c = side.conn;
  const peer = c.peerAddress;
  return {
    state: c.state,
    'handshake state': c.handshakeState,
    'peer address': peer === undefined ? 'none' : peerKey(peer),
    error: c.error === undefined ? 'none' : c.error.message,
    events: String(side.events.length),
  };
}
