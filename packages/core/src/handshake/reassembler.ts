import { DecodeError, IllegalParameterError } from '../errors.js';
import type { HandshakeFragment } from './handshake-header.js';

export interface HandshakeReassemblerOptions {
  /** Longest handshake message accepted, in bytes; a longer claimed length is an error. Default 65536. */
  maxMessageLength?: number;
  /** How many messages past the next expected one may be buffered (message_seq up to nextSeq + window). Default 8. */
  window?: number;
  /**
   * Budget for the bodies of messages being reassembled, in bytes (each also holds a coverage
   * bitmap of 1/8 of its length). Must be at least maxMessageLength. Default 262144, or
   * maxMessageLength when that is larger.
   */
  maxBufferedBytes?: number;
}

/**
 * What add() did with a fragment:
 * - 'accepted': it brought bytes not seen before;
 * - 'old': its message was already delivered (message_seq < nextSeq): the peer is retransmitting,
 *   which RFC 6347 4.2.4 answers by retransmitting our last flight;
 * - 'duplicate': every byte of it was already held;
 * - 'dropped': too far ahead, over the byte budget, or an empty fragment of a non-empty message.
 */
export type FragmentDisposition = 'accepted' | 'old' | 'duplicate' | 'dropped';

/** A complete handshake message, in message_seq order. */
export interface ReassembledMessage {
  msgType: number;
  messageSeq: number;
  body: Uint8Array;
}

const DEFAULT_MAX_MESSAGE_LENGTH = 65536;
const DEFAULT_WINDOW = 8;
const DEFAULT_MAX_BUFFERED_BYTES = 262144;

/** One message being put together: its bytes and exactly which of them have arrived. */
class PartialMessage {
  readonly body: Uint8Array;
  /** Bit i set when byte i of the body has arrived: overlaps cannot count twice. */
  private readonly covered: Uint8Array;
  private coveredBytes = 0;

  constructor(
    readonly msgType: number,
    readonly length: number,
  ) {
    this.body = new Uint8Array(length);
    this.covered = new Uint8Array(Math.ceil(length / 8));
  }

  get complete(): boolean {
    return this.coveredBytes === this.length;
  }

  /** Copies the fragment in; returns how many bytes were not held before. */
  add(offset: number, bytes: Uint8Array): number {
    const added = this.mark(offset, offset + bytes.length);
    if (added > 0) this.body.set(bytes, offset);
    return added;
  }

  private mark(start: number, end: number): number {
    const bits = this.covered;
    let added = 0;
    let i = start;
    while (i < end) {
      const index = i >>> 3;
      const old = bits[index] ?? 0;
      if ((i & 7) === 0 && i + 8 <= end) {
        if (old !== 0xff) {
          added += 8 - popcount8(old);
          bits[index] = 0xff;
        }
        i += 8;
      } else {
        const mask = 1 << (i & 7);
        if ((old & mask) === 0) {
          bits[index] = old | mask;
          added++;
        }
        i++;
      }
    }
    this.coveredBytes += added;
    return added;
  }
}

function popcount8(b: number): number {
  let n = 0;
  for (let v = b; v !== 0; v &= v - 1) n++;
  return n;
}

/**
 * Bounded reassembly of handshake fragments for one handshake (RFC 6347 4.2.3): fragments may
 * arrive out of order, duplicated or overlapping; complete messages come out of poll() in
 * message_seq order. Memory is bounded by the window (how far ahead of the next expected
 * message anything is kept) and the byte budget; every claimed length is checked against
 * maxMessageLength before anything is allocated.
 */
export class HandshakeReassembler {
  private readonly maxMessageLength: number;
  private readonly window: number;
  private readonly maxBufferedBytes: number;
  private readonly partial = new Map<number, PartialMessage>();
  private expected = 0;
  private used = 0;

  constructor(options?: HandshakeReassemblerOptions) {
    this.maxMessageLength = positiveInteger('maxMessageLength', options?.maxMessageLength ?? DEFAULT_MAX_MESSAGE_LENGTH);
    this.window = nonNegativeInteger('window', options?.window ?? DEFAULT_WINDOW);
    this.maxBufferedBytes = positiveInteger(
      'maxBufferedBytes',
      options?.maxBufferedBytes ?? Math.max(DEFAULT_MAX_BUFFERED_BYTES, this.maxMessageLength),
    );
    if (this.maxBufferedBytes < this.maxMessageLength) {
      throw new RangeError(
        `maxBufferedBytes (${this.maxBufferedBytes}) must be at least maxMessageLength (${this.maxMessageLength})`,
      );
    }
  }

  /** The message_seq of the next message poll() will deliver. */
  get nextSeq(): number {
    return this.expected;
  }

  /** Moves the expected message_seq (a server starts at its ClientHello's), discarding what falls outside the window. */
  set nextSeq(value: number) {
    this.expected = nonNegativeInteger('nextSeq', value);
    for (const [seq, m] of this.partial) {
      if (seq < value || seq > value + this.window) this.discard(seq, m);
    }
  }

  /** Bytes of message bodies held now (for limits and tests). */
  get bufferedBytes(): number {
    return this.used;
  }

  /**
   * Takes one fragment. Throws IllegalParameterError when its length exceeds maxMessageLength
   * or it contradicts earlier fragments of the same message_seq (another msg_type or length),
   * DecodeError when fragment_offset + fragment_length > length.
   */
  add(f: HandshakeFragment): FragmentDisposition {
    if (f.length > this.maxMessageLength) {
      throw new IllegalParameterError(
        `handshake message ${f.messageSeq}: length ${f.length} exceeds the limit of ${this.maxMessageLength}`,
      );
    }
    if (f.fragmentOffset + f.body.length > f.length) {
      throw new DecodeError(
        `handshake message ${f.messageSeq}: fragment ${f.fragmentOffset}+${f.body.length} runs past length ${f.length}`,
      );
    }
    if (f.messageSeq < this.expected) return 'old';
    if (f.messageSeq > this.expected + this.window) return 'dropped';

    let m = this.partial.get(f.messageSeq);
    if (m !== undefined && (m.msgType !== f.msgType || m.length !== f.length)) {
      throw new IllegalParameterError(
        `handshake message ${f.messageSeq}: fragment says type ${f.msgType} length ${f.length}, ` +
          `earlier ones said type ${m.msgType} length ${m.length}`,
      );
    }
    // RFC 5246 6.2.1: no zero-length fragments of handshake data; an empty message is one
    // empty fragment (e.g. ServerHelloDone).
    if (f.body.length === 0 && f.length !== 0) return 'dropped';
    if (m === undefined) {
      if (!this.makeRoom(f.messageSeq, f.length)) return 'dropped';
      m = new PartialMessage(f.msgType, f.length);
      this.partial.set(f.messageSeq, m);
      this.used += f.length;
      if (f.length === 0) return 'accepted';
    }
    if (m.complete) return 'duplicate';
    return m.add(f.fragmentOffset, f.body) > 0 ? 'accepted' : 'duplicate';
  }

  /** The next complete message in order, advancing nextSeq; undefined when it has not all arrived. */
  poll(): ReassembledMessage | undefined {
    const seq = this.expected;
    const m = this.partial.get(seq);
    if (m === undefined || !m.complete) return undefined;
    this.discard(seq, m);
    this.expected = seq + 1;
    return { msgType: m.msgType, messageSeq: seq, body: m.body };
  }

  /** Forgets everything buffered and expects `nextSeq` next. */
  reset(nextSeq: number): void {
    this.partial.clear();
    this.used = 0;
    this.expected = nonNegativeInteger('nextSeq', nextSeq);
  }

  /**
   * Ensures `length` more bytes fit the budget, evicting messages further ahead than `seq`
   * (the furthest first: the peer retransmits them, and nearer messages are needed sooner).
   * Returns false, evicting nothing, when even that would not make room.
   */
  private makeRoom(seq: number, length: number): boolean {
    if (this.used + length <= this.maxBufferedBytes) return true;
    const later = [...this.partial.entries()].filter(([s]) => s > seq).sort(([a], [b]) => b - a);
    let freeable = 0;
    for (const [, m] of later) freeable += m.length;
    if (this.used - freeable + length > this.maxBufferedBytes) return false;
    for (const [s, m] of later) {
      if (this.used + length <= this.maxBufferedBytes) break;
      this.discard(s, m);
    }
    return true;
  }

  private discard(seq: number, m: PartialMessage): void {
    this.partial.delete(seq);
    this.used -= m.length;
  }
}

function positiveInteger(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  return v;
}

function nonNegativeInteger(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${name} must be a non-negative integer, got ${v}`);
  return v;
}
