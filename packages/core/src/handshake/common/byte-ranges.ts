/**
 * A set of byte ranges [start, end) of one message, kept sorted and disjoint (touching ranges
 * merge). DTLS 1.3 needs it on the sending side: the parts of each handshake message the peer
 * has acknowledged (RFC 9147 7.3), so that a retransmission carries only what is missing.
 */
export class ByteRanges {
  /** Flat [start, end) pairs, ascending, disjoint and not touching. */
  private readonly bounds: number[] = [];
  private covered = 0;
  /** For an empty message: whether its one zero-length fragment was marked. */
  private emptyMarked = false;

  constructor(readonly length: number) {
    if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`message length must be a non-negative integer, got ${length}`);
  }

  /** Bytes covered. */
  get size(): number {
    return this.covered;
  }

  /**
   * Whether every byte is covered. An empty message is complete only once marked (add(0, 0)):
   * a zero-length fragment is acknowledged like any other.
   */
  get complete(): boolean {
    return this.length === 0 ? this.emptyMarked : this.covered === this.length;
  }

  /** Marks [start, end) as covered; parts outside [0, length) are ignored. */
  add(start: number, end: number): void {
    if (this.length === 0) {
      if (start === 0 && end === 0) this.emptyMarked = true;
      return;
    }
    const s = Math.max(0, start);
    const e = Math.min(this.length, end);
    if (e <= s) return;
    const b = this.bounds;
    // The first pair that ends at or after s (it touches or follows the new range).
    let i = 0;
    while (i < b.length && (b[i + 1] ?? 0) < s) i += 2;
    let newStart = s;
    let newEnd = e;
    let j = i;
    // Swallow every pair that overlaps or touches [s, e).
    while (j < b.length && (b[j] ?? 0) <= e) {
      newStart = Math.min(newStart, b[j] ?? 0);
      newEnd = Math.max(newEnd, b[j + 1] ?? 0);
      j += 2;
    }
    const removed = b.splice(i, j - i, newStart, newEnd);
    let removedBytes = 0;
    for (let k = 0; k < removed.length; k += 2) removedBytes += (removed[k + 1] ?? 0) - (removed[k] ?? 0);
    this.covered += newEnd - newStart - removedBytes;
  }

  /** The ranges not covered, ascending, as [start, end) pairs (one [0, 0) for an unmarked empty message). */
  missing(): Array<readonly [number, number]> {
    if (this.length === 0) return this.emptyMarked ? [] : [[0, 0]];
    const out: Array<readonly [number, number]> = [];
    let at = 0;
    const b = this.bounds;
    for (let k = 0; k < b.length; k += 2) {
      const start = b[k] ?? 0;
      if (start > at) out.push([at, start]);
      at = b[k + 1] ?? 0;
    }
    if (at < this.length) out.push([at, this.length]);
    return out;
  }
}
