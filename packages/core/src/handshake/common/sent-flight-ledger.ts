import type { RecordNumber } from '../../record/ack.js';
import { ByteRanges } from './byte-ranges.js';

export type { RecordNumber } from '../../record/ack.js';

/** A piece of one message of the flight that went out in a record: the message's index and its byte range. */
export interface SentFragment {
  readonly message: number;
  readonly offset: number;
  readonly length: number;
}

/** What an ACK did to the flight (RFC 9147 7.3). */
export type AckOutcome = 'complete' | 'progress' | 'nothing-new';

/**
 * Records of a flight we keep the contents of: one per fragment, and a handshake flight is a
 * handful of messages in at most a few dozen records. Beyond this the oldest mappings are
 * forgotten: an ACK naming such a record then acknowledges nothing, and its bytes are sent
 * again (wasteful, never wrong), so a peer cannot make the ledger grow.
 */
export const MAX_TRACKED_RECORDS = 256;

function key(n: RecordNumber): string {
  return `${n.epoch}/${n.sequenceNumber}`;
}

/**
 * Which parts of our current flight the peer has acknowledged (RFC 9147 7.3: "Implementations
 * MUST treat a record as having been acknowledged if it appears in any ACK"; "this requires
 * implementations to track which messages appear in which records"). Every transmission of the
 * flight adds its records; an ACK for any of them, first sending or retransmission, counts.
 */
export class SentFlightLedger {
  private readonly acked: readonly ByteRanges[];
  /** Record number -> the fragments it carried and its place in the order sent (Map keeps insertion order). */
  private readonly records = new Map<string, { readonly fragments: readonly SentFragment[]; readonly ordinal: number }>();
  /** Records sent so far (the next one's ordinal). */
  private sent = 0;
  /** The ordinal of the newest record the peer acknowledged (-1: none yet). */
  private newestAcked = -1;

  constructor(messageLengths: readonly number[]) {
    this.acked = messageLengths.map((n) => new ByteRanges(n));
  }

  /** Whether every byte of every message has been acknowledged: the flight needs no more sending. */
  get complete(): boolean {
    return this.acked.every((r) => r.complete);
  }

  /** A record of the flight went out carrying these fragments. */
  recordSent(number: RecordNumber, fragments: readonly SentFragment[]): void {
    this.records.set(key(number), { fragments, ordinal: this.sent++ });
    while (this.records.size > MAX_TRACKED_RECORDS) {
      const oldest = this.records.keys().next();
      if (oldest.done === true) break;
      this.records.delete(oldest.value);
    }
  }

  /**
   * An ACK's record numbers: the fragments of those of our records are acknowledged. Numbers we
   * never sent (or no longer track) are ignored: an ACK cannot make us skip a byte we did not
   * see acknowledged.
   */
  acknowledge(numbers: readonly RecordNumber[]): AckOutcome {
    let progressed = false;
    for (const n of numbers) {
      const record = this.records.get(key(n));
      if (record === undefined) continue;
      this.newestAcked = Math.max(this.newestAcked, record.ordinal);
      for (const f of record.fragments) {
        const ranges = this.acked[f.message];
        if (ranges === undefined || ranges.complete) continue;
        const before = ranges.size;
        ranges.add(f.offset, f.offset + f.length);
        if (ranges.size !== before || ranges.complete) progressed = true;
      }
    }
    if (this.complete) return 'complete';
    return progressed ? 'progress' : 'nothing-new';
  }

  /**
   * The byte ranges of message `index` the peer most likely lost: not acknowledged, and not sent
   * again after the newest record it acknowledged (those may still be on their way: an ACK names
   * what arrived, and records sent later were not due yet). What a partial ACK makes us resend at
   * once (RFC 9147 7.3); the timer resends all that is missing. (RFC 9002 6.1 reasons alike.)
   */
  presumedLost(index: number): Array<readonly [number, number]> {
    const acked = this.acked[index];
    if (acked === undefined || acked.complete) return [];
    const settled = new ByteRanges(acked.length);
    if (acked.length > 0) {
      let at = 0;
      for (const [start, end] of acked.missing()) {
        settled.add(at, start);
        at = end;
      }
      settled.add(at, acked.length);
    }
    for (const record of this.records.values()) {
      if (record.ordinal <= this.newestAcked) continue;
      for (const f of record.fragments) if (f.message === index) settled.add(f.offset, f.offset + f.length);
    }
    return settled.missing();
  }

  /** The byte ranges of message `index` still to be sent ([0, 0] for an empty message not yet acknowledged). */
  missing(index: number): Array<readonly [number, number]> {
    return this.acked[index]?.missing() ?? [];
  }
}
