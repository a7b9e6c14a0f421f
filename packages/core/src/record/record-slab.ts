/**
 * Memory for sealed records, carved from shared slabs: one allocation per slab instead of one per
 * record. An ArrayBuffer of its own per record costs a malloc, and a free on V8's ArrayBuffer
 * sweeper thread, which contends with the main thread for the allocator's lock; a view into a
 * slab costs neither.
 *
 * A slab is bump-allocated: each byte is handed out once, so a record stays as it was sealed for
 * as long as anyone holds it (a datagram waiting in node:dgram's send queue included), whatever
 * is sealed after it — unless its only holder gives it back (giveBack) once its bytes have left,
 * and it is the last record taken: its bytes are then zeroed and handed out again, so a stream of
 * records each sent at once (a runtime's application data) reuses the same bytes instead of
 * making a new slab every few dozen records (a 32 KiB allocation, zeroed, then swept: more than
 * sealing the records in it). The slab is freed when the last record in it is dropped. A record
 * larger than a quarter of a slab gets memory of its own, so a slab is never mostly waste.
 */
export class RecordSlab {
  private slab: ArrayBuffer | undefined;
  private used = 0;
  /** The one record that may be given back (see returnable): at most one slab pinned by it. */
  private returnableRecord: Uint8Array | undefined;
  /**
   * The view take() handed out last from the slab, until it is given back: the only record that
   * returnable() may mark. Compared by identity, per record, rather than by its `.buffer` getter
   * and its end (offset + length against `used`).
   */
  private lastTaken: Uint8Array | undefined;

  constructor(private readonly slabSize: number) {
    if (!Number.isInteger(slabSize) || slabSize < 1) throw new RangeError(`slab size must be a positive integer, got ${slabSize}`);
  }

  /** `length` bytes, zero, that no other call returned or will return (until given back). */
  take(length: number): Uint8Array {
    if (length > this.slabSize >>> 2) return new Uint8Array(length);
    let slab = this.slab;
    if (slab === undefined || this.used + length > slab.byteLength) {
      slab = new ArrayBuffer(this.slabSize);
      this.slab = slab;
      this.used = 0;
    }
    const start = this.used;
    this.used = start + length;
    this.returnableRecord = undefined;
    // A view made directly: subarray() costs twice as much (it looks up the species constructor).
    const view = new Uint8Array(slab, start, length);
    this.lastTaken = view;
    return view;
  }

  /**
   * The record just taken has one holder that will say when it is done with it (giveBack): e.g.
   * an application-data record, which goes from the connection's queue to the socket and nowhere
   * else. Any take() after it ends that (its bytes are no longer the last ones handed out).
   */
  returnable(record: Uint8Array): void {
    this.returnableRecord = record === this.lastTaken ? record : undefined;
  }

  /**
   * The holder of the record marked returnable() will never read or write it again: its bytes
   * are zeroed and the next take() hands them out again. Anything else (another record, or a
   * record taken before the last one) is left as it is. Returns whether the bytes were taken back.
   */
  giveBack(record: Uint8Array): boolean {
    if (record !== this.returnableRecord) return false;
    this.returnableRecord = undefined;
    this.lastTaken = undefined;
    record.fill(0);
    this.used = record.byteOffset;
    return true;
  }
}

/**
 * The slab every record layer of this thread seals into. 32 KiB: 26 records of 1,200 bytes, or
 * about a flight of handshake records, per allocation; what a record kept long (an application
 * holding a datagram) pins is bounded by it.
 */
export const SEALED_RECORDS = new RecordSlab(32 * 1024);
