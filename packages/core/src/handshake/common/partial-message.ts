/** The record a fragment came in: what the replay window needs to mark it once its content counts. */
export interface FragmentSource {
  readonly epoch: number;
  readonly sequenceNumber: number;
}

/**
 * Charged to the byte budget, on top of the bytes, for every fragment that brought new bytes:
 * its place in the message (three numbers) and the record it came in. Without it a stream of
 * 1-byte fragments at distinct offsets would hold far more memory than the budget says.
 */
export const FRAGMENT_OVERHEAD = 16;

const EMPTY = new Uint8Array(0);

/**
 * What a fragment would add to a message: the gaps it fills (in message offsets, ascending) and
 * what that costs the byte budget. Worked out before anything changes, so the reassembler can
 * refuse (or make room) first.
 */
export interface FragmentPlan {
  /** [start, end) pairs of message offsets not held before, ascending and disjoint. */
  readonly gaps: readonly number[];
  readonly newBytes: number;
  /** Budget the message's charge grows by if the plan is committed. */
  readonly cost: number;
}

/**
 * One handshake message being put together (RFC 6347 4.2.3), holding only what has arrived.
 *
 * Nothing of the claimed length is allocated up front: a fragment's new bytes are appended to
 * an arena that grows by doubling (never past the message length, since no byte is stored
 * twice), and each run of them is recorded as a chunk (message offset, length, arena offset),
 * kept sorted and disjoint, so overlaps and duplicates count once. In-order fragments extend
 * the last chunk, so a message sent in order is one chunk whatever its fragmentation. The body
 * is assembled when the last byte arrives (without a copy when the arena already is the body).
 * A 1-byte fragment claiming 64 KB thus costs 1 byte plus FRAGMENT_OVERHEAD, not 64 KB.
 */
export class PartialMessage {
  private arena: Uint8Array = EMPTY;
  private arenaUsed = 0;
  /**
   * Chunks as flat triples (message offset, length, arena offset), sorted by message offset:
   * one array of small integers, so a message costs a few hundred bytes of heap, not kilobytes.
   * Undefined while the bytes held are one run (the arena in order, from message offset
   * runStart): a message sent in order, and a lone fragment — each of an attacker's 1-byte
   * fragments claiming a message of its own — then needs no array at all.
   */
  private chunks: number[] | undefined;
  /** Where the single run starts in the message, while chunks is undefined. */
  private runStart = 0;
  private coveredBytes = 0;
  /** Fragments that brought new bytes (each charged FRAGMENT_OVERHEAD). */
  private fragments = 0;
  /**
   * The records whose fragments brought new bytes, without repeats of the latest one: the first
   * in two fields (-1: none yet; most messages have one), the others as flat (epoch, sequence
   * number) pairs.
   */
  private firstSourceEpoch = -1;
  private firstSourceSequence = 0;
  private moreSources: number[] | undefined;

  constructor(
    readonly msgType: number,
    readonly length: number,
  ) {}

  get complete(): boolean {
    return this.coveredBytes === this.length;
  }

  /** Bytes charged to the budget: the arena as allocated, plus the per-fragment overhead. */
  get charge(): number {
    return this.arena.length + this.fragments * FRAGMENT_OVERHEAD;
  }

  /** The records whose fragments brought bytes, in arrival order. */
  get sources(): FragmentSource[] {
    const out: FragmentSource[] = [];
    if (this.firstSourceEpoch < 0) return out;
    out.push({ epoch: this.firstSourceEpoch, sequenceNumber: this.firstSourceSequence });
    const pairs = this.moreSources ?? [];
    for (let i = 0; i + 1 < pairs.length; i += 2) out.push({ epoch: pairs[i] ?? 0, sequenceNumber: pairs[i + 1] ?? 0 });
    return out;
  }

  /** Counts a record as a source of this message (an empty message's only fragment). */
  addSource(source: FragmentSource): void {
    if (this.firstSourceEpoch < 0) {
      this.firstSourceEpoch = source.epoch;
      this.firstSourceSequence = source.sequenceNumber;
      return;
    }
    const pairs = this.moreSources;
    const n = pairs?.length ?? 0;
    const latestEpoch = pairs === undefined ? this.firstSourceEpoch : pairs[n - 2];
    const latestSequence = pairs === undefined ? this.firstSourceSequence : pairs[n - 1];
    if (latestEpoch === source.epoch && latestSequence === source.sequenceNumber) return;
    if (pairs === undefined) this.moreSources = [source.epoch, source.sequenceNumber];
    else pairs.push(source.epoch, source.sequenceNumber);
  }

  /** What adding [offset, offset + size) would fill and cost. The caller has checked it lies within the message. */
  plan(offset: number, size: number): FragmentPlan {
    const end = offset + size;
    const gaps: number[] = [];
    let newBytes = 0;
    let at = offset;
    const chunks = this.chunkList();
    for (let i = this.firstEndingAfter(offset); i < chunks.length && at < end; i += 3) {
      const start = chunks[i] ?? 0;
      if (start >= end) break;
      if (start > at) {
        gaps.push(at, start);
        newBytes += start - at;
      }
      at = Math.max(at, start + (chunks[i + 1] ?? 0));
    }
    if (at < end) {
      gaps.push(at, end);
      newBytes += end - at;
    }
    const cost = newBytes === 0 ? 0 : this.grownCapacity(newBytes) - this.arena.length + FRAGMENT_OVERHEAD;
    return { gaps, newBytes, cost };
  }

  /** Stores the bytes of a plan made for this very fragment (`bytes` start at message offset `offset`). */
  commit(plan: FragmentPlan, offset: number, bytes: Uint8Array, source: FragmentSource | undefined): void {
    if (plan.newBytes === 0) return;
    const capacity = this.grownCapacity(plan.newBytes);
    if (capacity > this.arena.length) {
      const grown = new Uint8Array(capacity);
      grown.set(this.arena.subarray(0, this.arenaUsed));
      this.arena = grown;
    }
    const gaps = plan.gaps;
    for (let g = 0; g + 1 < gaps.length; g += 2) {
      const start = gaps[g] ?? 0;
      const end = gaps[g + 1] ?? 0;
      this.arena.set(bytes.subarray(start - offset, end - offset), this.arenaUsed);
      this.insertChunk(start, end - start, this.arenaUsed);
      this.arenaUsed += end - start;
    }
    this.coveredBytes += plan.newBytes;
    this.fragments++;
    if (source !== undefined) this.addSource(source);
  }

  /** The whole message; only once complete. */
  body(): Uint8Array {
    const chunks = this.chunkList();
    if (chunks.length === 3 && chunks[2] === 0 && this.arena.length === this.length) return this.arena;
    const body = new Uint8Array(this.length);
    for (let i = 0; i + 2 < chunks.length; i += 3) {
      const from = chunks[i + 2] ?? 0;
      body.set(this.arena.subarray(from, from + (chunks[i + 1] ?? 0)), chunks[i] ?? 0);
    }
    return body;
  }

  /** The arena's capacity once `more` bytes are added: doubling, never past the message length. */
  private grownCapacity(more: number): number {
    const needed = this.arenaUsed + more;
    if (needed <= this.arena.length) return this.arena.length;
    return Math.min(this.length, Math.max(needed, this.arena.length * 2));
  }

  /** The chunks as flat triples: the array, or the single run as one (a new array, for reading). */
  private chunkList(): number[] {
    if (this.chunks !== undefined) return this.chunks;
    return this.arenaUsed === 0 ? [] : [this.runStart, this.arenaUsed, 0];
  }

  /** Index (in the flat array) of the first chunk that ends after `offset`: a binary search. */
  private firstEndingAfter(offset: number): number {
    const chunks = this.chunkList();
    let lo = 0;
    let hi = chunks.length / 3;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((chunks[3 * mid] ?? 0) + (chunks[3 * mid + 1] ?? 0) <= offset) lo = mid + 1;
      else hi = mid;
    }
    return 3 * lo;
  }

  private insertChunk(start: number, length: number, arenaOffset: number): void {
    if (this.chunks === undefined) {
      // Still one run: the first bytes start it; bytes that continue it in the message and in the
      // arena extend it (arenaOffset is arenaUsed, the run's length so far).
      if (this.arenaUsed === 0) {
        this.runStart = start;
        return;
      }
      if (start === this.runStart + this.arenaUsed && arenaOffset === this.arenaUsed) return;
      this.chunks = this.chunkList();
    }
    const chunks = this.chunks;
    const i = this.firstEndingAfter(start);
    const before = i - 3;
    // In order: the new bytes continue the previous chunk both in the message and in the arena.
    if (before >= 0) {
      const previousLength = chunks[before + 1] ?? 0;
      if ((chunks[before] ?? 0) + previousLength === start && (chunks[before + 2] ?? 0) + previousLength === arenaOffset) {
        chunks[before + 1] = previousLength + length;
        return;
      }
    }
    chunks.splice(i, 0, start, length, arenaOffset);
  }
}
