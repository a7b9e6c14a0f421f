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
  /** The gap at the current frontier was reported: the fragments behind it are the same disruption. */
  private reported = false;

  /** Messages up to `nextSeq` (exclusive) were delivered in order. */
  delivered(nextSeq: number): void {
    if (nextSeq > this.seq) this.moveTo(nextSeq, 0);
  }

  /**
   * A fragment of new content was taken (processed or buffered): whether it reveals a gap not
   * reported yet. One ACK per gap: each later record past the same gap would otherwise make the
   * peer send what is missing once more (RFC 9147 7.3), though the first ACK told it already.
   */
  arrived(f: FragmentPosition): boolean {
    if (f.messageSeq < this.seq) return false;
    if (f.messageSeq > this.seq || f.fragmentOffset > this.offset) {
      if (this.reported) return false;
      this.reported = true;
      return true;
    }
    const end = Math.max(this.offset, f.fragmentOffset + f.fragmentLength);
    if (end >= f.length) this.moveTo(this.seq + 1, 0);
    else if (end > this.offset) this.moveTo(this.seq, end);
    return false;
  }

  private moveTo(seq: number, offset: number): void {
    this.seq = seq;
    this.offset = offset;
    this.reported = false;
  }
}
