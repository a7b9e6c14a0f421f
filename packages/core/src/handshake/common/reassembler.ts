import { DecodeError, IllegalParameterError } from '../../errors.js';
import type { HandshakeFragment } from '../handshake-header.js';
import { type FragmentSource, PartialMessage } from './partial-message.js';

export { FRAGMENT_OVERHEAD, type FragmentSource } from './partial-message.js';

export interface HandshakeReassemblerOptions {
  /** Longest handshake message accepted, in bytes; a longer claimed length is an error. Default 65536. */
  maxMessageLength?: number;
  /** How many messages past the next expected one may be buffered (message_seq up to nextSeq + window). Default 8. */
  window?: number;
  /**
   * Budget for the messages being reassembled, in bytes: the bytes that arrived (not the lengths
   * their fragments claim) plus FRAGMENT_OVERHEAD (16) per fragment that brought new bytes. Must
   * be at least maxMessageLength; leave room for the overhead of a message of that length.
   * Default 262144, or twice maxMessageLength when that is larger.
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
  /** The records whose fragments brought its bytes (those add() was given a source for). */
  sources: readonly FragmentSource[];
}

const DEFAULT_MAX_MESSAGE_LENGTH = 65536;
const DEFAULT_WINDOW = 8;
const DEFAULT_MAX_BUFFERED_BYTES = 262144;

/**
 * Bounded reassembly of handshake fragments for one handshake (RFC 6347 4.2.3): fragments may
 * arrive out of order, duplicated or overlapping; complete messages come out of poll() in
 * message_seq order. Memory is bounded by the window (how far ahead of the next expected
 * message anything is kept) and the byte budget, which counts the bytes actually held (see
 * PartialMessage): a claimed length only ever reserves what has arrived. Every claimed length
 * is still checked against maxMessageLength first.
 */
export class HandshakeReassembler {
  private readonly maxMessageLength: number;
  private readonly window: number;
  private readonly maxBufferedBytes: number;
  /**
   * Messages being reassembled, by message_seq; none while nothing is buffered. Made when needed
   * and dropped when empty: a handshake waiting for the peer's next flight holds no message, and
   * a Map keeps its table once used (each half-open server handshake would hold one).
   */
  private partial: Map<number, PartialMessage> | undefined;
  private expected = 0;
  private used = 0;

  constructor(options?: HandshakeReassemblerOptions) {
    this.maxMessageLength = positiveInteger('maxMessageLength', options?.maxMessageLength ?? DEFAULT_MAX_MESSAGE_LENGTH);
    this.window = nonNegativeInteger('window', options?.window ?? DEFAULT_WINDOW);
    this.maxBufferedBytes = positiveInteger(
      'maxBufferedBytes',
      options?.maxBufferedBytes ?? Math.max(DEFAULT_MAX_BUFFERED_BYTES, 2 * this.maxMessageLength),
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
    if (this.partial === undefined) return;
    for (const [seq, m] of this.partial) {
      if (seq < value || seq > value + this.window) this.discard(seq, m);
    }
  }

  /** Bytes charged to the budget now: bytes held plus the per-fragment overhead (for limits and tests). */
  get bufferedBytes(): number {
    return this.used;
  }

  /**
   * Takes one fragment; `source` names the record it came in (given back with the message, so a
   * caller can count those records as seen once the message is used). Throws
   * IllegalParameterError when its length exceeds maxMessageLength or it contradicts earlier
   * fragments of the same message_seq (another msg_type or length), DecodeError when
   * fragment_offset + fragment_length > length.
   */
  add(f: HandshakeFragment, source?: FragmentSource): FragmentDisposition {
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

    const existing = this.partial?.get(f.messageSeq);
    if (existing !== undefined && (existing.msgType !== f.msgType || existing.length !== f.length)) {
      throw new IllegalParameterError(
        `handshake message ${f.messageSeq}: fragment says type ${f.msgType} length ${f.length}, ` +
          `earlier ones said type ${existing.msgType} length ${existing.length}`,
      );
    }
    // RFC 5246 6.2.1: no zero-length fragments of handshake data; an empty message is one
    // empty fragment (e.g. ServerHelloDone).
    if (f.body.length === 0 && f.length !== 0) return 'dropped';
    if (existing === undefined && f.length === 0) {
      const empty = new PartialMessage(f.msgType, 0);
      if (source !== undefined) empty.addSource(source);
      (this.partial ??= new Map()).set(f.messageSeq, empty);
      return 'accepted';
    }
    const m = existing ?? new PartialMessage(f.msgType, f.length);
    if (m.complete) return 'duplicate';
    const plan = m.plan(f.fragmentOffset, f.body.length);
    if (plan.newBytes === 0) return 'duplicate';
    if (!this.makeRoom(f.messageSeq, plan.cost)) return 'dropped';
    if (existing === undefined) (this.partial ??= new Map()).set(f.messageSeq, m);
    const before = m.charge;
    m.commit(plan, f.fragmentOffset, f.body, source);
    this.used += m.charge - before;
    return 'accepted';
  }

  /** The next complete message in order, advancing nextSeq; undefined when it has not all arrived. */
  poll(): ReassembledMessage | undefined {
    const seq = this.expected;
    const m = this.partial?.get(seq);
    if (m === undefined || !m.complete) return undefined;
    this.discard(seq, m);
    this.expected = seq + 1;
    return { msgType: m.msgType, messageSeq: seq, body: m.body(), sources: m.sources };
  }

  /** Forgets everything buffered and expects `nextSeq` next. */
  reset(nextSeq: number): void {
    this.partial = undefined;
    this.used = 0;
    this.expected = nonNegativeInteger('nextSeq', nextSeq);
  }

  /**
   * Ensures `cost` more bytes fit the budget, evicting messages further ahead than `seq`
   * (the furthest first: the peer retransmits them, and nearer messages are needed sooner).
   * Returns false, evicting nothing, when even that would not make room.
   */
  private makeRoom(seq: number, cost: number): boolean {
    if (this.used + cost <= this.maxBufferedBytes) return true;
    const later = [...(this.partial?.entries() ?? [])].filter(([s]) => s > seq).sort(([a], [b]) => b - a);
    let freeable = 0;
    for (const [, m] of later) freeable += m.charge;
    if (this.used - freeable + cost > this.maxBufferedBytes) return false;
    for (const [s, m] of later) {
      if (this.used + cost <= this.maxBufferedBytes) break;
      this.discard(s, m);
    }
    return true;
  }

  private discard(seq: number, m: PartialMessage): void {
    const partial = this.partial;
    if (partial === undefined) return;
    partial.delete(seq);
    if (partial.size === 0) this.partial = undefined;
    this.used -= m.charge;
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
