import { DecodeError } from '../errors.js';

/**
 * A bounds-checked cursor over wire bytes (RFC 5246 4: uint8/16/24/48 and vectors with a
 * length prefix). Every length is checked against what is left before anything is sliced,
 * so a lying length costs nothing and ends in DecodeError.
 */
export class Reader {
  private offset = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly what = 'message',
  ) {}

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  get position(): number {
    return this.offset;
  }

  private need(n: number, field: string): void {
    if (n > this.remaining) {
      throw new DecodeError(`${this.what}: ${field} needs ${n} bytes, ${this.remaining} left`);
    }
  }

  u8(field = 'uint8'): number {
    this.need(1, field);
    return this.bytes[this.offset++] ?? 0;
  }

  u16(field = 'uint16'): number {
    this.need(2, field);
    const b = this.bytes;
    const v = ((b[this.offset] ?? 0) << 8) | (b[this.offset + 1] ?? 0);
    this.offset += 2;
    return v;
  }

  u24(field = 'uint24'): number {
    this.need(3, field);
    const b = this.bytes;
    const v = ((b[this.offset] ?? 0) << 16) | ((b[this.offset + 1] ?? 0) << 8) | (b[this.offset + 2] ?? 0);
    this.offset += 3;
    return v;
  }

  /** 48-bit big-endian integer (DTLS record sequence numbers); exact in a JS number. */
  u48(field = 'uint48'): number {
    const hi = this.u16(field);
    const lo = this.u32(field);
    return hi * 0x1_0000_0000 + lo;
  }

  u32(field = 'uint32'): number {
    this.need(4, field);
    const b = this.bytes;
    const v =
      (b[this.offset] ?? 0) * 0x100_0000 +
      (((b[this.offset + 1] ?? 0) << 16) | ((b[this.offset + 2] ?? 0) << 8) | (b[this.offset + 3] ?? 0));
    this.offset += 4;
    return v;
  }

  /** A view of the next n bytes (no copy). */
  bytesView(n: number, field = 'bytes'): Uint8Array {
    this.need(n, field);
    const v = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }

  /** A copy of the next n bytes. */
  take(n: number, field = 'bytes'): Uint8Array {
    return this.bytesView(n, field).slice();
  }

  /** opaque field<min..max> with a 1-byte length. */
  vector8(field: string, min = 0, max = 0xff): Uint8Array {
    return this.vector(this.u8(field), field, min, max);
  }

  /** opaque field<min..max> with a 2-byte length. */
  vector16(field: string, min = 0, max = 0xffff): Uint8Array {
    return this.vector(this.u16(field), field, min, max);
  }

  /** opaque field<min..max> with a 3-byte length. */
  vector24(field: string, min = 0, max = 0xffffff): Uint8Array {
    return this.vector(this.u24(field), field, min, max);
  }

  private vector(length: number, field: string, min: number, max: number): Uint8Array {
    if (length < min || length > max) {
      throw new DecodeError(`${this.what}: ${field} length ${length} outside ${min}..${max}`);
    }
    return this.take(length, field);
  }

  rest(): Uint8Array {
    return this.take(this.remaining, 'rest');
  }

  /** Fails unless every byte was consumed: trailing garbage is a decode_error. */
  end(): void {
    if (this.remaining !== 0) {
      throw new DecodeError(`${this.what}: ${this.remaining} unexpected trailing bytes`);
    }
  }
}
