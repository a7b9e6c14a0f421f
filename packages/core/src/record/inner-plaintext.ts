import { AlertDescription } from '../alert.js';
import { DtlsError } from '../errors.js';
import { MAX_PLAINTEXT_LENGTH } from './record-header.js';

/*
 * RFC 8446 5.2, as RFC 9147 4 names it:
 *
 *   struct {
 *       opaque content[DTLSPlaintext.length];
 *       ContentType type;
 *       uint8 zeros[length_of_padding];
 *   } DTLSInnerPlaintext;
 */

/** RFC 8446 5.2: "The length ... of TLSInnerPlaintext MUST NOT exceed 2^14 + 1 octets". */
export const MAX_INNER_PLAINTEXT_LENGTH = MAX_PLAINTEXT_LENGTH + 1;

/** content || type || `padding` zeros. */
export function encodeInnerPlaintext(type: number, content: Uint8Array, padding = 0, scratch?: Uint8Array): Uint8Array {
  if (!Number.isInteger(type) || type < 1 || type > 255) throw new RangeError(`an inner content type is 1..255, got ${type}`);
  if (!Number.isInteger(padding) || padding < 0) throw new RangeError(`padding must be a non-negative integer, got ${padding}`);
  const length = content.length + 1 + padding;
  if (length > MAX_INNER_PLAINTEXT_LENGTH) {
    throw new RangeError(`inner plaintext of ${length} bytes exceeds 2^14 + 1`);
  }
  // In `scratch` when it has room (the record layer's, used up before the record is sent): no
  // allocation per record; the padding is written as zeros there (RFC 8446 5.4).
  const out = scratch !== undefined && scratch.length >= length ? new Uint8Array(scratch.buffer, scratch.byteOffset, length) : new Uint8Array(length);
  out.set(content, 0);
  out[content.length] = type;
  if (padding > 0 && out.buffer === scratch?.buffer) out.fill(0, content.length + 1);
  return out;
}

/** The content and real content type of a deprotected record. */
export interface InnerContent {
  readonly type: number;
  /** A view of the plaintext (no copy). */
  readonly content: Uint8Array;
}

/**
 * RFC 8446 5.4: the type is the last non-zero byte, the zeros after it padding; "If a receiving
 * implementation does not find a non-zero octet in the cleartext, it MUST terminate the connection
 * with an "unexpected_message" alert." A plaintext longer than 2^14 + 1 is a record_overflow
 * (RFC 8446 5.2). Both are fatal: the record authenticated, so it is the peer's, not noise.
 */
export function openInnerPlaintext(plaintext: Uint8Array): InnerContent {
  if (plaintext.length > MAX_INNER_PLAINTEXT_LENGTH) {
    throw new DtlsError(AlertDescription.record_overflow, `DTLSInnerPlaintext of ${plaintext.length} bytes exceeds 2^14 + 1 (RFC 8446 5.2)`);
  }
  let i = plaintext.length - 1;
  while (i >= 0 && plaintext[i] === 0) i--;
  if (i < 0) throw new DtlsError(AlertDescription.unexpected_message, 'DTLSInnerPlaintext has no non-zero content type (RFC 8446 5.4)');
  return { type: plaintext[i] ?? 0, content: new Uint8Array(plaintext.buffer, plaintext.byteOffset, i) };
}
