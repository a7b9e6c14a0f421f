/**
 * CBOR (RFC 8949) for plain data: what an EstablishedSnapshot holds — numbers, strings, booleans,
 * null, undefined, Uint8Arrays, arrays and plain objects (maps with text keys). A runtime that
 * hands an established connection to another thread or process writes it with encodeCbor() and
 * reads it with decodeCbor(): about half the cost of node:v8's serializer, which calls back into
 * JavaScript for every typed array, and the same bytes in any JavaScript runtime.
 *
 * The encoder writes definite lengths, the shortest argument (RFC 8949 4.2.1), integers as major
 * types 0 and 1 when they are safe integers, every other number as a float64 (valid CBOR, not
 * always the shortest float). The decoder takes any well-formed item of that data model — every
 * argument size and half, single and double floats too — and refuses with a CborError what it
 * cannot represent exactly or safely: tags, indefinite lengths, other simple values, integers
 * beyond 2^53, invalid UTF-8, non-text or duplicate map keys, a `__proto__` key, nesting deeper
 * than its limit, lengths beyond the input, and bytes after the item (RFC 8949 5.1: a decoder may
 * limit what it supports, as long as it says so).
 */

import { utf8 } from '../bytes.js';

/** A byte sequence that is not CBOR this module reads (or a value it cannot write). */
export class CborError extends TypeError {
  override readonly name = 'CborError';
  /** Where in the input the decoder stopped (-1 when encoding). */
  readonly offset: number;

  constructor(message: string, offset = -1) {
    super(offset >= 0 ? `${message} (at byte ${offset})` : message);
    this.offset = offset;
  }
}

// RFC 8949 3.1: the major types.
const UNSIGNED = 0;
const NEGATIVE = 1;
const BYTES = 2;
const TEXT = 3;
const ARRAY = 4;
const MAP = 5;
const TAG = 6;
const SIMPLE = 7;

// RFC 8949 3.3: simple values and floats of major type 7.
const FALSE = 0xf4;
const TRUE = 0xf5;
const NULL = 0xf6;
const UNDEFINED = 0xf7;
const FLOAT16 = 0xf9;
const FLOAT32 = 0xfa;
const FLOAT64 = 0xfb;

const TWO_32 = 0x1_0000_0000;
/** Nesting the encoder and the decoder allow by default (a snapshot needs 5). */
export const CBOR_MAX_DEPTH = 32;

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** The scratch buffer's size, and what it goes back to after an encoding that grew it past SCRATCH_KEEP. */
const SCRATCH_START = 2048;
const SCRATCH_KEEP = 64 * 1024;
/**
 * The encoder's buffer, reused by every call on this thread (the result is a copy of what it
 * wrote): one allocation per encoding instead of one per growth step.
 */
let scratch = new Uint8Array(SCRATCH_START);
let scratchView = new DataView(scratch.buffer);
let at = 0;

function reserve(n: number): void {
  if (at + n <= scratch.length) return;
  let size = scratch.length * 2;
  while (size < at + n) size *= 2;
  const next = new Uint8Array(size);
  next.set(scratch.subarray(0, at));
  scratch = next;
  scratchView = new DataView(next.buffer);
}

/** RFC 8949 3: the initial byte and the argument, in the shortest form (4.2.1). */
function writeHead(major: number, n: number): void {
  reserve(9);
  const m = major << 5;
  if (n < 24) {
    scratch[at++] = m | n;
  } else if (n < 0x100) {
    scratch[at++] = m | 24;
    scratch[at++] = n;
  } else if (n < 0x10000) {
    scratch[at++] = m | 25;
    scratchView.setUint16(at, n);
    at += 2;
  } else if (n < TWO_32) {
    scratch[at++] = m | 26;
    scratchView.setUint32(at, n);
    at += 4;
  } else {
    scratch[at++] = m | 27;
    scratchView.setUint32(at, Math.floor(n / TWO_32));
    scratchView.setUint32(at + 4, n >>> 0);
    at += 8;
  }
}

function writeNumber(n: number): void {
  if (Number.isSafeInteger(n) && !Object.is(n, -0)) {
    if (n >= 0) writeHead(UNSIGNED, n);
    else writeHead(NEGATIVE, -1 - n);
    return;
  }
  reserve(9);
  scratch[at++] = FLOAT64;
  scratchView.setFloat64(at, n);
  at += 8;
}

function writeText(s: string): void {
  const start = at;
  const n = s.length;
  // Names and addresses are ASCII: written as they are read, without an encoder call.
  writeHead(TEXT, n);
  reserve(n);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) {
      at = start;
      const bytes = utf8(s);
      writeHead(TEXT, bytes.length);
      writeBytes(bytes);
      return;
    }
    scratch[at++] = c;
  }
}

function writeBytes(b: Uint8Array): void {
  reserve(b.length);
  scratch.set(b, at);
  at += b.length;
}

function isPlainObject(v: object): boolean {
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function writeItem(v: unknown, depth: number): void {
  switch (typeof v) {
    case 'number':
      writeNumber(v);
      return;
    case 'string':
      writeText(v);
      return;
    case 'boolean':
      reserve(1);
      scratch[at++] = v ? TRUE : FALSE;
      return;
    case 'undefined':
      reserve(1);
      scratch[at++] = UNDEFINED;
      return;
    case 'object':
      break;
    default:
      throw new CborError(`a ${typeof v} has no CBOR form here`);
  }
  if (v === null) {
    reserve(1);
    scratch[at++] = NULL;
    return;
  }
  if (depth >= CBOR_MAX_DEPTH) throw new CborError(`nesting deeper than ${CBOR_MAX_DEPTH} (or a cycle)`);
  if (v instanceof Uint8Array) {
    writeHead(BYTES, v.length);
    writeBytes(v);
  } else if (Array.isArray(v)) {
    writeHead(ARRAY, v.length);
    for (const item of v) writeItem(item, depth + 1);
  } else if (isPlainObject(v)) {
    const keys = Object.keys(v);
    writeHead(MAP, keys.length);
    for (const key of keys) {
      writeText(key);
      writeItem(Reflect.get(v, key), depth + 1);
    }
  } else {
    throw new CborError(`${Object.prototype.toString.call(v)} has no CBOR form here (plain objects, arrays and Uint8Arrays only)`);
  }
}

/** An encoding is under way (a getter of the value being written may not start another). */
let encoding = false;

/** `value` as one CBOR data item; CborError for what has no form here (functions, class instances, cycles). */
export function encodeCbor(value: unknown): Uint8Array {
  if (encoding) throw new CborError('encodeCbor() called while it encodes (from a getter of the value?)');
  encoding = true;
  at = 0;
  try {
    writeItem(value, 0);
    return scratch.slice(0, at);
  } finally {
    at = 0;
    encoding = false;
    // One large value must not keep a large buffer for the life of the thread.
    if (scratch.length > SCRATCH_KEEP) {
      scratch = new Uint8Array(SCRATCH_START);
      scratchView = new DataView(scratch.buffer);
    }
  }
}

/** RFC 8949 Appendix D: a half-precision float. */
function halfToNumber(h: number): number {
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  let value: number;
  if (exponent === 0) value = mantissa * 2 ** -24;
  else if (exponent !== 31) value = (mantissa + 1024) * 2 ** (exponent - 25);
  else value = mantissa === 0 ? Infinity : NaN;
  return h & 0x8000 ? -value : value;
}

/** Short ASCII strings decoded before, by a hash of their bytes (checked byte by byte on a hit). */
const asciiSeen = new Map<number, string>();
const ASCII_SEEN_MAX = 512;

function sameAscii(s: string, b: Uint8Array, start: number, n: number): boolean {
  if (s.length !== n) return false;
  for (let i = 0; i < n; i++) if (s.charCodeAt(i) !== b[start + i]) return false;
  return true;
}

class Decoder {
  private pos = 0;
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly maxDepth: number,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  done(): void {
    if (this.pos !== this.bytes.length) throw new CborError(`${this.bytes.length - this.pos} bytes after the data item`, this.pos);
  }

  private need(n: number): void {
    if (n > this.bytes.length - this.pos) throw new CborError(`${n} bytes needed, ${this.bytes.length - this.pos} left`, this.pos);
  }

  /** RFC 8949 3: the argument of an initial byte's additional information. */
  private argument(info: number, start: number): number {
    if (info < 24) return info;
    const v = this.view;
    let n: number;
    switch (info) {
      case 24:
        this.need(1);
        n = v.getUint8(this.pos);
        this.pos += 1;
        return n;
      case 25:
        this.need(2);
        n = v.getUint16(this.pos);
        this.pos += 2;
        return n;
      case 26:
        this.need(4);
        n = v.getUint32(this.pos);
        this.pos += 4;
        return n;
      case 27: {
        this.need(8);
        const high = v.getUint32(this.pos);
        const low = v.getUint32(this.pos + 4);
        this.pos += 8;
        if (high >= 0x20_0000) throw new CborError('an integer beyond 2^53 cannot be read exactly', start);
        return high * TWO_32 + low;
      }
      case 31:
        throw new CborError('indefinite lengths are not supported', start);
      default:
        throw new CborError(`reserved additional information ${info}`, start);
    }
  }

  item(depth: number): unknown {
    const start = this.pos;
    this.need(1);
    const initial = this.bytes[this.pos++] ?? 0;
    const major = initial >> 5;
    const info = initial & 0x1f;
    if (major === SIMPLE) return this.simple(initial, start);
    const n = this.argument(info, start);
    switch (major) {
      case UNSIGNED:
        return n;
      case NEGATIVE:
        return -1 - n;
      case BYTES:
        this.need(n);
        this.pos += n;
        // A copy: the input may be a ring's memory, reused once read.
        return this.bytes.slice(this.pos - n, this.pos);
      case TEXT:
        return this.text(n);
      case ARRAY: {
        this.deeper(depth, start);
        // Each item takes a byte at least: a length beyond the input is refused before any allocation.
        this.need(n);
        const out: unknown[] = new Array<unknown>(n);
        for (let i = 0; i < n; i++) out[i] = this.item(depth + 1);
        return out;
      }
      case MAP:
        return this.map(n, depth, start);
      case TAG:
        throw new CborError(`tag ${n} is not supported`, start);
    }
    throw new CborError(`major type ${major}`, start);
  }

  private deeper(depth: number, start: number): void {
    if (depth >= this.maxDepth) throw new CborError(`nesting deeper than ${this.maxDepth}`, start);
  }

  private simple(initial: number, start: number): unknown {
    const v = this.view;
    switch (initial) {
      case FALSE:
        return false;
      case TRUE:
        return true;
      case NULL:
        return null;
      case UNDEFINED:
        return undefined;
      case FLOAT16: {
        this.need(2);
        const h = v.getUint16(this.pos);
        this.pos += 2;
        return halfToNumber(h);
      }
      case FLOAT32: {
        this.need(4);
        const f = v.getFloat32(this.pos);
        this.pos += 4;
        return f;
      }
      case FLOAT64: {
        this.need(8);
        const d = v.getFloat64(this.pos);
        this.pos += 8;
        return d;
      }
    }
    if (initial === 0xff) throw new CborError('a break outside an indefinite-length item', start);
    throw new CborError(`simple value 0x${initial.toString(16)} is not supported`, start);
  }

  private text(n: number): string {
    this.need(n);
    const b = this.bytes;
    const end = this.pos + n;
    // Short ASCII strings (map keys, names) without a decoder call, and the same key read again
    // (a snapshot's keys, each time) without a new string: anything else through a fatal UTF-8 decoder.
    if (n <= 64) {
      let h = n;
      let i = this.pos;
      for (; i < end; i++) {
        const c = b[i] ?? 0;
        if (c >= 0x80) break;
        h = (Math.imul(h, 31) + c) | 0;
      }
      if (i === end) {
        const start = this.pos;
        this.pos = end;
        const known = asciiSeen.get(h);
        if (known !== undefined && sameAscii(known, b, start, n)) return known;
        const s = String.fromCharCode.apply(null, Array.from(b.subarray(start, end)));
        if (asciiSeen.size < ASCII_SEEN_MAX) asciiSeen.set(h, s);
        return s;
      }
    }
    try {
      const s = utf8Decoder.decode(b.subarray(this.pos, end));
      this.pos = end;
      return s;
    } catch {
      throw new CborError('a text string that is not UTF-8', this.pos);
    }
  }

  private map(n: number, depth: number, start: number): Record<string, unknown> {
    this.deeper(depth, start);
    // Each entry takes two bytes at least.
    this.need(2 * n);
    const out: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const keyAt = this.pos;
      const initial = this.bytes[this.pos++] ?? 0;
      if (initial >> 5 !== TEXT) throw new CborError('a map key that is not a text string', keyAt);
      const key = this.text(this.argument(initial & 0x1f, keyAt));
      // Assigning __proto__ would set the object's prototype, not a key.
      if (key === '__proto__') throw new CborError('a map key __proto__', keyAt);
      out[key] = this.item(depth + 1);
    }
    // A key given twice was overwritten: one check per map instead of one per key.
    if (Object.keys(out).length !== n) throw new CborError('a map with a duplicate key', start);
    return out;
  }
}

/**
 * The one CBOR data item `bytes` holds (nothing may follow it). Byte strings come out as copies of
 * their own; maps as plain objects. CborError for what it is not (see the module's comment).
 */
export function decodeCbor(bytes: Uint8Array, maxDepth: number = CBOR_MAX_DEPTH): unknown {
  const d = new Decoder(bytes, maxDepth);
  const value = d.item(0);
  d.done();
  return value;
}
