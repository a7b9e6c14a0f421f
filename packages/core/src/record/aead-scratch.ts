import { AEAD_NONCE_LENGTH } from './aead-nonce.js';
import { MAX_ADDITIONAL_DATA_LENGTH } from './record-format.js';
import { MAX_PLAINTEXT_LENGTH } from './record-header.js';

/**
 * Scratch space for the AEAD inputs that live only for the length of one seal or open call: the
 * nonce (RFC 5288 3, RFC 7905 2), the additional data (RFC 6347 4.1.2.1, RFC 9146 5.3) and a
 * tls12_cid inner plaintext (RFC 9146 4). One set per thread, shared by every connection: the
 * calls are synchronous and every provider uses its inputs before it returns (the Aead contract),
 * so no record can see another's.
 *
 * Why not fresh arrays: an array this small lives on the V8 heap, and node:crypto, to read it,
 * moves it to memory of its own off the heap: a malloc, and a free on V8's ArrayBuffer sweeper
 * thread, for each of the nonce and the additional data of each record. A scratch array moves once.
 */
/** The nonce of the record being sealed or opened. */
export const NONCE_SCRATCH = new Uint8Array(AEAD_NONCE_LENGTH);

/** The additional data of the record being sealed or opened (see RecordFormat.additionalData). */
export const ADDITIONAL_DATA_SCRATCH = new Uint8Array(MAX_ADDITIONAL_DATA_LENGTH);

/** Views of the first n bytes of ADDITIONAL_DATA_SCRATCH, made once per n and shared by every connection. */
const additionalDataViews = new Map<number, Uint8Array>();

/**
 * The additional-data scratch cut to exactly `length` bytes, the length of an epoch's additional
 * data (13 in DTLS 1.2, RFC 6347 4.1.2.1): a format given it writes it whole and returns it as it
 * is, where the longer scratch would cost a view (subarray) per record.
 */
export function additionalDataScratch(length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 0 || length > MAX_ADDITIONAL_DATA_LENGTH) return ADDITIONAL_DATA_SCRATCH;
  let view = additionalDataViews.get(length);
  if (view === undefined) {
    view = new Uint8Array(ADDITIONAL_DATA_SCRATCH.buffer, 0, length);
    additionalDataViews.set(length, view);
  }
  return view;
}

/** Bytes of the inner-plaintext scratch: a payload of up to 2^14 bytes (RFC 5246 6.2.1) and what its format adds. */
const INNER_PLAINTEXT_ROOM = MAX_PLAINTEXT_LENGTH + 256;

/** Allocated on first use: only a connection with a connection ID builds an inner plaintext. */
let innerPlaintext: Uint8Array | undefined;

/** The inner-plaintext scratch when it has room for `length` bytes; undefined otherwise (the format allocates). */
export function innerPlaintextScratch(length: number): Uint8Array | undefined {
  if (length > INNER_PLAINTEXT_ROOM) return undefined;
  innerPlaintext ??= new Uint8Array(INNER_PLAINTEXT_ROOM);
  return innerPlaintext;
}
