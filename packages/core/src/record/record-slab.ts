/**
 * Memory for sealed records, carved from shared slabs: one allocation per slab instead of one per
 * record. An ArrayBuffer of its own per record costs a malloc, and a free on V8's ArrayBuffer
 * sweeper thread, which contends with the main thread for the allocator's lock; a view into a
 * slab costs neither.
 *
 * A slab is bump-allocated and never rewound: each byte is handed out once, so a record stays as
 * it was sealed for as long as anyone holds it (a datagram waiting in node:dgram's send queue
 * included), whatever is sealed after it. The slab is freed when the last record in it is
 * dropped. A record larger than a quarter of a slab gets memory of its own, so a slab is never
 * mostly waste.
 */
export class RecordSlab {
  private slab: ArrayBuffer | undefined;
  private used = 0;

  constructor(private readonly slabSize: number) {
    if (!Number.isInteger(slabSize) || slabSize < 1) throw new RangeError(`slab size must be a positive integer, got ${slabSize}`);
  }

  /** `length` bytes, zero, that no other call returned or will return. */
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
    // A view made directly: subarray() costs twice as much (it looks up the species constructor).
    return new Uint8Array(slab, start, length);
  }
}

/**
 * The slab every record layer of this thread seals into. 32 KiB: 26 records of 1,200 bytes, or
 * about a flight of handshake records, per allocation; what a record kept long (an application
 * holding a datagram) pins is bounded by it.
 */
export const SEALED_RECORDS = new RecordSlab(32 * 1024);
