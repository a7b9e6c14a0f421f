/**
 * One connection's DTLS 1.2 handshake run on the server's main thread (the server's
 * `handshakes: 'main'`), from its verified ClientHello until it is established and exported
 * (core's EstablishedSnapshot) for a worker to run its handler. The main thread then spends no
 * wake-up of a worker per flight: only the established connection crosses, once.
 *
 * It is the engine and what the server needs to judge it by: when it last moved (a new state, as a
 * worker reports it in its handshake word) and whether it waits on its peer or on itself (an
 * asynchronous credential lookup or signature), and the receive CIDs the server's table must learn.
 */
import { DtlsConnection, type DtlsError, type EstablishedSnapshot, type PeerAddress, type SnapshotEvent, type VerifiedClientHello } from '@dtls-kit/core';
import type { ConnectionCounters, ResolvedServerOptions } from '@dtls-kit/core/internal';
import { WAITING_ON_US } from './connection.js';

/** What a handshake on the main thread came to after a datagram or a timer. */
export type MainStep =
  | { readonly type: 'handshaking' }
  | { readonly type: 'established'; readonly snapshot: EstablishedSnapshot }
  | { readonly type: 'failed'; readonly error: DtlsError | Error };

const HANDSHAKING: MainStep = { type: 'handshaking' };

export class MainHandshake {
  readonly engine: DtlsConnection;
  /** When the handshake last reached a new state (this thread's clock). */
  lastStepAt: number;
  private step: string;
  /** Receive CIDs already given to the server's table. */
  private announced = 0;
  /** Events read before the hand-over (data the peer sent with its Finished, a warning alert): they go with the snapshot. */
  private readonly kept: SnapshotEvent[] = [];
  private over = false;
  /** The last flight, taken from the engine before the export: it leaves from this thread. */
  private flight: Uint8Array[] = [];

  constructor(options: ResolvedServerOptions, hello: VerifiedClientHello, now: number, from: PeerAddress) {
    // Sessions are dated by the wall clock (Date.now()), as in a worker: a ticket outlives this process.
    this.engine = DtlsConnection.acceptVerified(options, hello, now, from, Date.now());
    this.step = this.engine.handshakeState;
    this.lastStepAt = now;
  }

  /** Waits on its peer (not on its own credential lookup or signature): the peer's silence is then the peer's. */
  get waitsOnPeer(): boolean {
    return !WAITING_ON_US.has(this.engine.handshakeState);
  }

  /** The engine's next timer (this thread's clock), if any. */
  get nextTimeout(): number | undefined {
    return this.over ? undefined : this.engine.nextTimeout();
  }

  receive(datagram: Uint8Array, now: number, from: PeerAddress): MainStep {
    if (this.over) return HANDSHAKING;
    this.engine.receive(datagram, now, from);
    return this.settle(now);
  }

  /** Runs the engine's timer if it is due (retransmission, RFC 6347 4.2.4; the handshake deadline). */
  tick(now: number): MainStep {
    if (this.over) return HANDSHAKING;
    const t = this.engine.nextTimeout();
    if (t !== undefined && now >= t) this.engine.handleTimeout(now);
    return this.settle(now);
  }

  /** Ends it with a fatal alert (RFC 5246 7.2.2), in datagrams(): evicted, or the server closes. */
  abort(message: string): void {
    if (this.over) return;
    this.over = true;
    this.engine.abort(undefined, message);
  }

  /** Ends it with close_notify: the server closes. */
  close(): void {
    if (this.over) return;
    this.over = true;
    this.engine.close();
  }

  /** What the engine has for the peer: send it now, before a hand-over (flight 6 leaves from here). */
  datagrams(): Uint8Array[] {
    const out = this.flight.length > 0 ? [...this.flight, ...this.engine.datagramsToSend()] : this.engine.datagramsToSend();
    this.flight = [];
    return out;
  }

  /** Receive CIDs (RFC 9146 3) not given to the server's table yet. */
  newConnectionIds(): readonly Uint8Array[] {
    const count = this.engine.receiveConnectionIdCount;
    if (count <= this.announced) return [];
    const out = this.engine.receiveConnectionIds.slice(this.announced);
    this.announced = count;
    return out;
  }

  private settle(now: number): MainStep {
    let established = false;
    for (let e = this.engine.pollEvent(); e; e = this.engine.pollEvent()) {
      if (e.type === 'handshake-complete') established = true;
      else if (e.type === 'data') this.kept.push({ type: 'data', data: e.data.slice() });
      else if (e.type === 'alert') this.kept.push({ type: 'alert', description: e.description, name: e.name });
      else if (e.type === 'close') {
        this.over = true;
        return { type: 'failed', error: e.error ?? new Error('the peer closed the connection during the handshake') };
      }
    }
    const state = this.engine.handshakeState;
    if (state !== this.step) {
      this.step = state;
      this.lastStepAt = now;
    }
    if (!established) return HANDSHAKING;
    this.over = true;
    this.flight = this.engine.datagramsToSend();
    const snapshot = this.engine.exportEstablished();
    // The worker's connection reports the handshake's end as a worker's own would: first event.
    return { type: 'established', snapshot: { ...snapshot, events: [{ type: 'handshake-complete' }, ...this.kept, ...snapshot.events] } };
  }
}

/** A handed-over connection's counters as its engine reports them, read from its snapshot (while it waits for a worker). */
export function snapshotCounters(s: EstablishedSnapshot): ConnectionCounters {
  const r = s.records.stats;
  const t = s.traffic;
  return {
    recordsIn: t.recordsIn,
    recordsOut: r.sealed,
    applicationRecordsIn: t.applicationRecordsIn,
    applicationBytesIn: t.applicationBytesIn,
    applicationRecordsOut: t.applicationRecordsOut,
    applicationBytesOut: t.applicationBytesOut,
    replayed: r.replayed,
    badMac: r.badMac,
    dropped: r.dropped,
  };
}
