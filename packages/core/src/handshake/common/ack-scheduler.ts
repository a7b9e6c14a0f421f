import type { RecordNumber } from './sent-flight-ledger.js';

/**
 * Record numbers one ACK may carry at most (RFC 9147 7: RecordNumber record_numbers<0..2^16-1>,
 * 16 bytes each): 64 (1 KiB) far exceed the records of any flight we accept. What fits the MTU
 * may be fewer: ackEntriesThatFit().
 */
export const MAX_ACK_ENTRIES = 64;

/**
 * Record numbers an ACK record can list and still fit one datagram of `mtu` bytes, given the
 * record overhead of the epoch it goes in (header, CID, inner type, tag): the 2-byte vector length
 * and 16 bytes an entry. An ACK is a record of its own and, like every record, must fit the PMTU
 * (RFC 9147 4.4); 7.1 asks for "as many received packets as can fit". At mtu 64 that is 2 or 3,
 * not 64 (a 1 KiB ACK at mtu 64 left as one oversized datagram).
 */
export function ackEntriesThatFit(mtu: number, recordOverhead: number): number {
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
  private pending: Pending[] = [];
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
    list.splice(i, 0, { number, sent: false });
    // Bounded: the oldest entries go first; an unacknowledged record only costs a retransmission.
    if (list.length > MAX_PENDING) list.splice(0, list.length - MAX_PENDING);
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
    this.pending = [];
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
