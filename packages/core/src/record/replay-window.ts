import { MAX_SEQUENCE_NUMBER } from './record-header.js';

/** The largest window we accept: 2^16 sequence numbers (8 KiB of bitmap). */
export const MAX_REPLAY_WINDOW_SIZE = 65536;

/** What a replay window knows (ReplayWindow.exportState): plain numbers. */
export interface ReplayWindowState {
  readonly size: number;
  /** The right edge, -1 before the first accept. */
  readonly highest: number;
  /** The circular bitmap's 32-bit words. */
  readonly bits: readonly number[];
}

/**
 * The sliding anti-replay window of RFC 6347 4.1.2.6 (after RFC 4303 3.4.3), for one epoch.
 *
 * The right edge is the highest sequence number accepted so far; a record is fresh when it
 * is above the right edge, or inside the window and not yet seen. A record left of the
 * window is too old. The window only moves on accept(), which the record layer calls once
 * the record has authenticated (a plaintext epoch-0 record: once the handshake has used it),
 * so a forged record can never advance it.
 *
 * The bitmap is circular: sequence number s lives at bit s mod capacity (capacity = size
 * rounded up to 32 bits), so sliding the window clears bits instead of shifting words and
 * nothing is allocated per record. Its words are a plain array of 32-bit integers, which V8
 * keeps as small integers in the array itself: a typed array would cost a view, an ArrayBuffer
 * and a backing store (~200 bytes of heap for the default 64-bit window), and every connection
 * holds a window per epoch it reads.
 */
export class ReplayWindow {
  readonly size: number;
  /** Words of 32 bits, as signed 32-bit integers (what `|` and `&` give). */
  private readonly bits: number[];
  private readonly capacity: number;
  /** Highest accepted sequence number; -1 until the first accept. */
  private top = -1;

  constructor(size = 64) {
    if (!Number.isInteger(size) || size < 1 || size > MAX_REPLAY_WINDOW_SIZE) {
      throw new RangeError(`replay window size must be an integer in 1..${MAX_REPLAY_WINDOW_SIZE}, got ${size}`);
    }
    this.size = size;
    // Pushed one by one, not new Array(n): a packed array of small integers, no holes. Not
    // Array.from({ length }, fn) either: its generic iteration cost ~1 µs per window in the
    // handshake (a window per read epoch, two epochs per side), a loop ~40 ns.
    const bits: number[] = [];
    for (let words = Math.ceil(size / 32); bits.length < words; ) bits.push(0);
    this.bits = bits;
    this.capacity = this.bits.length * 32;
  }

  /** The highest sequence number accepted so far (the right edge), or -1. */
  get highest(): number {
    return this.top;
  }

  /** True when `seq` may be processed: not seen before and not left of the window. */
  check(seq: number): boolean {
    if (!Number.isInteger(seq) || seq < 0 || seq > MAX_SEQUENCE_NUMBER) return false;
    if (seq > this.top) return true;
    if (this.top - seq >= this.size) return false;
    const bit = seq % this.capacity;
    return ((this.bits[bit >>> 5] ?? 0) & (1 << (bit & 31))) === 0;
  }

  /** Marks `seq` as seen, sliding the window when it is the new right edge. Call after authentication. */
  accept(seq: number): void {
    if (!Number.isInteger(seq) || seq < 0 || seq > MAX_SEQUENCE_NUMBER) return;
    if (seq > this.top) {
      // Clear the positions of top+1..seq: they held sequence numbers now left of the window.
      const advance = seq - this.top;
      if (advance >= this.capacity) {
        this.bits.fill(0);
      } else {
        for (let s = this.top + 1; s <= seq; s++) this.clearBit(s % this.capacity);
      }
      this.top = seq;
    } else if (this.top - seq >= this.size) {
      return;
    }
    const bit = seq % this.capacity;
    const word = bit >>> 5;
    this.bits[word] = (this.bits[word] ?? 0) | (1 << (bit & 31));
  }

  /** The window's state, a copy (structured-clone friendly): to carry a connection elsewhere (established-snapshot.ts). */
  exportState(): ReplayWindowState {
    return { size: this.size, highest: this.top, bits: this.bits.slice() };
  }

  /** Takes a state exportState() gave, of a window of the same size: every record seen there counts as seen here. */
  importState(state: ReplayWindowState): void {
    if (state.size !== this.size || state.bits.length !== this.bits.length || !Number.isInteger(state.highest) || state.highest < -1 || state.highest > MAX_SEQUENCE_NUMBER) {
      throw new RangeError(`replay window state of size ${state.size} does not fit a window of size ${this.size}`);
    }
    for (let i = 0; i < this.bits.length; i++) this.bits[i] = (state.bits[i] ?? 0) | 0;
    this.top = state.highest;
  }

  private clearBit(bit: number): void {
    const word = bit >>> 5;
    this.bits[word] = (this.bits[word] ?? 0) & ~(1 << (bit & 31));
  }
}
