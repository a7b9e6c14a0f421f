/**
 * The counters of a DTLS server, the same shape and meaning in @dtls-kit/nonblocking and
 * @dtls-kit/blocking (each adds a few of its own), and the counting both runtimes share.
 */
import { alertName } from './alert.js';

/**
 * Why a datagram (or, inside a connection, a record) was dropped without an answer:
 * - `notClientHello`: from a peer without a connection, and not a ClientHello (RFC 6347 4.2.1:
 *   only a ClientHello may open one): no record, not an epoch-0 handshake record, not DTLS 1.0/1.2;
 * - `malformed`: a ClientHello that does not decode, or a record longer than 2^14;
 * - `fragment`: a ClientHello fragment held until the rest arrives (RFC 6347 4.2.3);
 * - `amplification`: the HelloVerifyRequest would have been larger than the ClientHello;
 * - `limit`: a limit was reached (maxConnections, maxHandshakes, maxHandshakesPerAddress; the
 *   blocking runtime's full pool or per-address bounds, which may answer with an alert);
 * - `staleClientHello`: a ClientHello that repeats an established connection's own (RFC 6347 4.2.8);
 * - records inside a connection (RFC 6347 4.1.2.7: discarded silently, but counted):
 *   `replayed` (seen before or left of the replay window, 4.1.2.6), `badMac` (failed
 *   authentication), `invalidRecord` (bad framing, unknown epoch or content type, not held).
 * - `proxyHeader`: from a load balancer trusted for PROXY protocol headers (a runtime's
 *   `proxyProtocol`), without a valid PROXY v2 header.
 * A ClientHello with a missing or wrong cookie is not dropped: it is answered with a
 * HelloVerifyRequest (RFC 6347 4.2.1), counted in `helloVerifyRequests`.
 */
export type DropReason = 'notClientHello' | 'malformed' | 'fragment' | 'amplification' | 'limit' | 'staleClientHello' | 'replayed' | 'badMac' | 'invalidRecord' | 'proxyHeader';

export const DROP_REASONS: readonly DropReason[] = ['notClientHello', 'malformed', 'fragment', 'amplification', 'limit', 'staleClientHello', 'replayed', 'badMac', 'invalidRecord', 'proxyHeader'];

export type DropCounts = { readonly [K in DropReason]: number };

/** Fatal alerts by name (core's alertName: `bad_record_mac`, `unknown_psk_identity`, ...). */
export type AlertCounts = Readonly<Record<string, number>>;

/** Handshakes that ended before they were established, by how. */
export interface HandshakeFailureCounts {
  /** Ended with a fatal alert of ours, by name (evictions and failed setups: `internal_error`). */
  readonly sent: AlertCounts;
  /** Ended with the peer's fatal alert, by name. */
  readonly received: AlertCounts;
  /** Ended without an alert: handshakeTimeoutMs passed. */
  readonly timedOut: number;
}

/**
 * A server's counters. "Now" values are current; every other one counts since the server was
 * made. Traffic: `bytesIn`/`bytesOut`, `datagrams`/`datagramsOut` are whole UDP datagrams on the
 * server's socket (every record, the cookie exchange included); `recordsIn`/`recordsOut` are
 * every record the connections read (that passed the record layer) and sealed (retransmissions
 * included; not the cookie exchange's); `applicationRecordsIn/Out` and `applicationBytesIn/Out`
 * are application data only (one record per message; plaintext bytes).
 */
export interface ServerStats {
  /** Now: connections held, handshakes in progress included. */
  readonly connections: number;
  /** Now: handshakes in progress. */
  readonly handshakes: number;
  /** Datagrams received on the socket. */
  readonly datagrams: number;
  /** Datagrams sent from the socket. */
  readonly datagramsOut: number;
  /** UDP payload bytes received (every datagram, whatever became of it). */
  readonly bytesIn: number;
  /** UDP payload bytes sent. */
  readonly bytesOut: number;
  readonly recordsIn: number;
  readonly recordsOut: number;
  readonly applicationRecordsIn: number;
  readonly applicationBytesIn: number;
  readonly applicationRecordsOut: number;
  readonly applicationBytesOut: number;
  /** HelloVerifyRequests (and protocol_version alerts) sent by the stateless cookie check. */
  readonly helloVerifyRequests: number;
  /** ClientHellos whose cookie verified and that got a place: connections created. */
  readonly accepted: number;
  /** Handshakes completed (each a 'connection' event). */
  readonly established: number;
  /** Handshakes that failed, by alert (ours and the peer's apart) or timeout. */
  readonly handshakesFailed: HandshakeFailureCounts;
  /** Datagrams (records, inside a connection) dropped without an answer, by reason. */
  readonly dropped: DropCounts;
  /** Verified ClientHellos refused at a limit (each also a `dropped.limit`). */
  readonly refused: number;
  /** Stalled handshakes evicted to make room for another client (each also `handshakesFailed.sent.internal_error`). */
  readonly evicted: number;
  /** Connections replaced by their restarted client's new one (RFC 6347 4.2.8). */
  readonly replaced: number;
  /** Connections whose handler failed (a 'connectionError' with stage 'handler'). */
  readonly handlerErrors: number;
}

/** What one connection's engine counted (DtlsConnection.stats' traffic and drop counters). */
export interface ConnectionCounters {
  readonly recordsIn: number;
  readonly recordsOut: number;
  readonly applicationRecordsIn: number;
  readonly applicationBytesIn: number;
  readonly applicationRecordsOut: number;
  readonly applicationBytesOut: number;
  readonly replayed: number;
  readonly badMac: number;
  /** The record layer's `dropped`: reported as `dropped.invalidRecord`. */
  readonly dropped: number;
}

/** The order in which ConnectionCounters cross a thread boundary as numbers (the blocking runtime's shared memory). */
export const CONNECTION_COUNTER_FIELDS: readonly (keyof ConnectionCounters)[] = [
  'recordsIn',
  'recordsOut',
  'applicationRecordsIn',
  'applicationBytesIn',
  'applicationRecordsOut',
  'applicationBytesOut',
  'replayed',
  'badMac',
  'dropped',
];

/** The diagnostics_channel name both runtimes publish a server's counters on (see StatsMessage in each). */
export const SERVER_STATS_CHANNEL = 'dtls-kit:stats';

/** The event counters (everything that is not "now" or per-connection traffic). */
type EventCounter = 'datagrams' | 'datagramsOut' | 'bytesIn' | 'bytesOut' | 'helloVerifyRequests' | 'accepted' | 'established' | 'refused' | 'evicted' | 'replaced' | 'handlerErrors';

/** What changed, as the stats channel names it: a counter, an alert (`handshakesFailed.sent.<name>`), a drop reason (`dropped.<reason>`). */
export type StatsChange = EventCounter | 'handshakesFailed.timedOut' | `handshakesFailed.${'sent' | 'received'}.${string}` | `dropped.${DropReason}`;

/** A connection's counters before anything was counted. */
export const ZERO_CONNECTION_COUNTERS: Readonly<ConnectionCounters> = {
  recordsIn: 0,
  recordsOut: 0,
  applicationRecordsIn: 0,
  applicationBytesIn: 0,
  applicationRecordsOut: 0,
  applicationBytesOut: 0,
  replayed: 0,
  badMac: 0,
  dropped: 0,
};

/**
 * The counting both runtimes share: event counters, handshake failures by alert, drops by reason,
 * and the traffic of connections that ended (the runtime adds its live connections' at snapshot()).
 * `onChange` (e.g. a diagnostics_channel publish) hears every change of an event counter.
 */
export class ServerStatsCounter {
  private readonly events: Record<EventCounter, number> = {
    datagrams: 0,
    datagramsOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    helloVerifyRequests: 0,
    accepted: 0,
    established: 0,
    refused: 0,
    evicted: 0,
    replaced: 0,
    handlerErrors: 0,
  };
  private readonly sent: Record<string, number> = {};
  private readonly received: Record<string, number> = {};
  private timedOut = 0;
  private readonly drops: Record<DropReason, number> = {
    notClientHello: 0,
    malformed: 0,
    fragment: 0,
    amplification: 0,
    limit: 0,
    staleClientHello: 0,
    replayed: 0,
    badMac: 0,
    invalidRecord: 0,
    proxyHeader: 0,
  };
  private ended: ConnectionCounters = ZERO_CONNECTION_COUNTERS;

  constructor(private readonly onChange?: (change: StatsChange) => void) {}

  count(counter: EventCounter, by = 1): void {
    this.events[counter] += by;
    this.onChange?.(counter);
  }

  /** A datagram in (`datagrams`, `bytesIn`) — one change reported. */
  datagramIn(bytes: number): void {
    this.events.datagrams++;
    this.events.bytesIn += bytes;
    this.onChange?.('datagrams');
  }

  datagramOut(bytes: number): void {
    this.events.datagramsOut++;
    this.events.bytesOut += bytes;
    this.onChange?.('datagramsOut');
  }

  drop(reason: DropReason): void {
    this.drops[reason]++;
    this.onChange?.(`dropped.${reason}`);
  }

  /**
   * A handshake failed: with our fatal alert, the peer's (`fromPeer`), or none (a timeout:
   * `alert` undefined).
   */
  handshakeFailed(alert: number | undefined, fromPeer: boolean): void {
    if (alert === undefined) {
      this.timedOut++;
      this.onChange?.('handshakesFailed.timedOut');
      return;
    }
    const name = alertName(alert);
    const side = fromPeer ? this.received : this.sent;
    side[name] = (side[name] ?? 0) + 1;
    this.onChange?.(`handshakesFailed.${fromPeer ? 'received' : 'sent'}.${name}`);
  }

  /** A connection ended: its engine's final counters join the totals. */
  connectionEnded(counters: ConnectionCounters): void {
    this.ended = addCounters(this.ended, counters);
  }

  /** The counters now: `live` are the connections still open (their engines' counters so far). */
  snapshot(now: { connections: number; handshakes: number }, live: Iterable<ConnectionCounters>): ServerStats {
    let traffic = this.ended;
    for (const c of live) traffic = addCounters(traffic, c);
    return {
      connections: now.connections,
      handshakes: now.handshakes,
      ...this.events,
      recordsIn: traffic.recordsIn,
      recordsOut: traffic.recordsOut,
      applicationRecordsIn: traffic.applicationRecordsIn,
      applicationBytesIn: traffic.applicationBytesIn,
      applicationRecordsOut: traffic.applicationRecordsOut,
      applicationBytesOut: traffic.applicationBytesOut,
      handshakesFailed: { sent: { ...this.sent }, received: { ...this.received }, timedOut: this.timedOut },
      dropped: { ...this.drops, replayed: this.drops.replayed + traffic.replayed, badMac: this.drops.badMac + traffic.badMac, invalidRecord: this.drops.invalidRecord + traffic.dropped },
    };
  }
}

function addCounters(a: ConnectionCounters, b: ConnectionCounters): ConnectionCounters {
  return {
    recordsIn: a.recordsIn + b.recordsIn,
    recordsOut: a.recordsOut + b.recordsOut,
    applicationRecordsIn: a.applicationRecordsIn + b.applicationRecordsIn,
    applicationBytesIn: a.applicationBytesIn + b.applicationBytesIn,
    applicationRecordsOut: a.applicationRecordsOut + b.applicationRecordsOut,
    applicationBytesOut: a.applicationBytesOut + b.applicationBytesOut,
    replayed: a.replayed + b.replayed,
    badMac: a.badMac + b.badMac,
    dropped: a.dropped + b.dropped,
  };
}
