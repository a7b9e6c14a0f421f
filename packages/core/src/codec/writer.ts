/** Builds wire bytes (RFC 5246 4) in a growing buffer. */
export class Writer {
  private buf: Uint8Array;
  private offset = 0;

  /**
   * The default suits small messages and extension blocks. V8 keeps typed arrays of up to 64
   * bytes on its heap; a larger one gets an off-heap backing store, several times dearer to
   * allocate and to free, so a writer starts small and grows only when it must.
   */
  constructor(initialSize = 64) {
    this.buf = new Uint8Array(initialSize);
  }

  private ensure(n: number): void {
    if (this.offset + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.offset + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.offset));
    this.buf = next;
  }

  get length(): number {
    return this.offset;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.offset++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.ensure(2);
    this.buf[this.offset++] = (v >>> 8) & 0xff;
    this.buf[this.offset++] = v & 0xff;
    return this;
  }

  u24(v: number): this {
    this.ensure(3);
    this.buf[this.offset++] = (v >>> 16) & 0xff;
    this.buf[this.offset++] = (v >>> 8) & 0xff;
    this.buf[this.offset++] = v & 0xff;
    return this;
  }

  u32(v: number): this {
    this.ensure(4);
    this.buf[this.offset++] = (v >>> 24) & 0xff;
    this.buf[this.offset++] = (v >>> 16) & 0xff;
    this.buf[this.offset++] = (v >>> 8) & 0xff;
    this.buf[this.offset++] = v & 0xff;
    return this;
  }

  /** 48-bit big-endian integer (DTLS record sequence numbers). */
  u48(v: number): this {
    this.u16(Math.floor(v / 0x1_0000_0000));
    return this.u32(v % 0x1_0000_0000);
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.offset);
    this.offset += b.length;
    return this;
  }

  /** opaque<..2^8-1>: throws RangeError when the value cannot be encoded. */
  vector8(b: Uint8Array): this {
    if (b.length > 0xff) throw new RangeError(`vector8 too long: ${b.length}`);
    return this.u8(b.length).bytes(b);
  }

  vector16(b: Uint8Array): this {
    if (b.length > 0xffff) throw new RangeError(`vector16 too long: ${b.length}`);
    return this.u16(b.length).bytes(b);
  }

  vector24(b: Uint8Array): this {
    if (b.length > 0xffffff) throw new RangeError(`vector24 too long: ${b.length}`);
    return this.u24(b.length).bytes(b);
  }

  /**
   * The bytes written so far, trimmed to length. A writer sized exactly (most encoders know the
   * length up front) hands over its buffer as it is, without a copy: every later write moves to
   * a new buffer (ensure() grows a full one), so the bytes returned never change.
   */
  finish(): Uint8Array {
    return this.offset === this.buf.length ? this.buf : this.buf.slice(0, this.offset);
  }
}
