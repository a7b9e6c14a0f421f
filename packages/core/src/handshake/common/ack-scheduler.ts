import type { RecordNumber } from './sent-flight-ledger.js';

/**
 * Record numbers one ACK may carry at most. An ACK is a record of its own (RFC 9147 7: RecordNumber
 * record_numbers<0..2^16-1>, 16 bytes each), and must fit a datagram: ackEntriesFitting() bounds
 * it by the MTU; 64 entries (1 KiB) far exceed the records of any flight we accept.
 */
export const MAX_ACK_ENTRIES = 64;

/**
 * The record numbers an ACK record can carry in one datagram of `mtu` bytes, its record adding
 * `recordOverhead` (header, inner type, tag): after the 2-byte list length, 16 bytes each (RFC
 * 9147 7). RFC 9147 7.1: "SHOULD ACK as many received packets as can fit into the ACK record";
 * no more, or the ACK would exceed the MTU (4.4: a record must fit a datagram).
 */
export function ackEntriesFitting(mtu: number, recordOverhead: number): number {
  return Math.max(0, Math.min(MAX_ACK_ENTRIES, Math.floor((mtu - recordOverhead - 2) / 16)));
}

/** Entries kept for the current incoming flight (or, after the handshake, since the last ACK). */
const MAX_PENDING = 2 * MAX_ACK_ENTRIES;

function compare(a: RecordNumber, b: RecordNumber): number {
  return a.epoch - b.epoch || a.sequenceNumber - b.sequenceNumber;
}

interface Pending {
  readonly number: RecordNumber;
  /** Already named in an ACK we sent. */
  sent: boolean;
}

/** No entry: shared by every scheduler between flights. */
const NONE_PENDING: readonly Pending[] = [];

/**
 * The receiving side of RFC 9147 7: which of the peer's handshake records we acknowledge, and when.
 *
 * - Only records whose handshake content was processed or buffered are listed ("MUST NOT
 *   acknowledge records containing handshake messages or fragments which have not been
 *   processed or buffered", 7); never other content types or records that failed to unprotect.
 * - During the handshake the list covers the current incoming flight only: it is cleared when
 *   the peer's next flight starts (7).
 * - When: at once on a disruption (a fragment out of order, 7.1), after a quarter of the
 *   retransmission timeout when a flight arrived in part ("set a timer for 1/4 the current
 *   retransmit timer value when the first record in the flight is received", 7.1), and at once
 *   for a flight that only an ACK answers (the client's final flight, post-handshake messages).
 *   A complete flight that our next flight answers needs no ACK (implicitly acknowledged, 7.1).
 */
export class AckScheduler {
  /** Replaced, never changed in place: NONE_PENDING is shared. */
  private pending: readonly Pending[] = NONE_PENDING;
  private dueAt: number | undefined;

  /** When an ACK is due (absolute ms), if one is. */
  get deadline(): number | undefined {
    return this.dueAt;
  }

  /** Whether an ACK should go out now. */
  due(now: number): boolean {
    return this.dueAt !== undefined && now >= this.dueAt;
  }

  /** Record numbers listed (for tests and stats). */
  get size(): number {
    return this.pending.length;
  }

  /**
   * A handshake record of the current incoming flight whose content was processed or buffered.
   * Starts the partial-flight timer (a quarter of `timeoutMs`) if none is running.
   */
  received(number: RecordNumber, now: number, timeoutMs: number): void {
    const list = this.pending;
    // Sorted insert (numerically increasing order, 7); a repeat is listed once.
    let i = list.length;
    while (i > 0) {
      const before = list[i - 1];
      if (before === undefined) break;
      const c = compare(before.number, number);
      if (c === 0) return;
      if (c < 0) break;
      i--;
    }
    // A new array of exactly the entries listed: splice() into an empty one would give it room
    // for sixteen, kept for an idle connection's life (the client's Finished stays listed until
    // the peer shows it has our ACK). Bounded: the oldest entries go first; an unacknowledged
    // record only costs a retransmission.
    const grown = list.slice(0, i).concat([{ number, sent: false }], list.slice(i));
    this.pending = grown.length > MAX_PENDING ? grown.slice(grown.length - MAX_PENDING) : grown;
    if (this.dueAt === undefined) this.dueAt = now + Math.max(1, Math.floor(timeoutMs / 4));
  }

  /** A disruption (a message or fragment out of order, or a record we cannot decrypt yet): an ACK now (7.1). */
  disrupted(now: number): void {
    this.dueAt = now;
  }

  /**
   * The incoming flight is complete. `explicit`: only an ACK answers it (our side has no next
   * flight), so the ACK goes now; otherwise our next flight acknowledges it and the timer stops.
   */
  flightComplete(now: number, explicit: boolean): void {
    this.dueAt = explicit ? now : undefined;
  }

  /** The peer's next flight started: the previous one is implicitly acknowledged (7: clear the ACK list). */
  nextFlight(): void {
    this.pending = NONE_PENDING;
    this.dueAt = undefined;
  }

  /**
   * The record numbers of the ACK to send now, numerically increasing, at most `maxEntries`
   * ("SHOULD ACK as many received packets as can fit ... SHOULD favor including records which
   * have not yet been acknowledged", 7.1). May be empty (7.1: an empty ACK tells the peer we are
   * alive when nothing can be acknowledged yet). The list is kept, so that a later ACK repeats
   * it in case this one is lost.
   */
  take(maxEntries = MAX_ACK_ENTRIES): RecordNumber[] {
    this.dueAt = undefined;
    const fresh = this.pending.filter((p) => !p.sent);
    const named = this.pending.filter((p) => p.sent);
    // The newest of the records not yet named, then (room permitting) the newest named ones again.
    const room = Math.max(0, maxEntries - fresh.length);
    const chosen = fresh.length >= maxEntries ? fresh.slice(fresh.length - maxEntries) : fresh.concat(named.slice(Math.max(0, named.length - room)));
    const out = chosen.sort((a, b) => compare(a.number, b.number));
    for (const p of out) p.sent = true;
    return out.map((p) => p.number);
  }
}
