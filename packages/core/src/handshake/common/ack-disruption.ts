/** The position of a handshake fragment: what a gap is measured against. */
export interface FragmentPosition {
  readonly messageSeq: number;
  readonly fragmentOffset: number;
  /** The whole message's length. */
  readonly length: number;
  /** Bytes this fragment carries. */
  readonly fragmentLength: number;
}

/**
 * RFC 9147 7.1: "When an implementation detects a disruption in the receipt of the current
 * incoming flight, it SHOULD generate an ACK that covers the messages from that flight which it
 * has received and processed so far." A disruption is a fragment that lies beyond the bytes
 * received in order: a message, or part of one, went missing before it (lost or overtaken).
 *
 * Tracks the in-order frontier (message_seq, offset). Fragments at or behind it move it on;
 * one ahead of it is the disruption. Whole messages the reassembler delivered move it on too
 * (`delivered`), so that once a gap is filled by a retransmission the later fragments buffered
 * meanwhile do not count as disruptions again.
 */
export class AckDisruption {
  private seq = 0;
  private offset = 0;

  /** Messages up to `nextSeq` (exclusive) were delivered in order. */
  delivered(nextSeq: number): void {
    if (nextSeq > this.seq) {
      this.seq = nextSeq;
      this.offset = 0;
    }
  }

  /** A fragment of new content was taken (processed or buffered): whether it came after a gap. */
  arrived(f: FragmentPosition): boolean {
    if (f.messageSeq < this.seq) return false;
    if (f.messageSeq > this.seq || f.fragmentOffset > this.offset) return true;
    this.offset = Math.max(this.offset, f.fragmentOffset + f.fragmentLength);
    if (this.offset >= f.length) {
      this.seq++;
      this.offset = 0;
    }
    return false;
  }
}
