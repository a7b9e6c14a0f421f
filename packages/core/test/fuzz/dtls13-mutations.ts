/**
 * Mutations for DTLS 1.3 (RFC 9147) traffic, as fast-check values, next to the 1.2 ones of
 * mutations.ts (which still apply byte by byte). Two kinds:
 *
 * - on the wire, as an attacker without keys can: the fields of a unified header (RFC 9147 4:
 *   0|0|1|C|S|L|EE, the encrypted record number of 4.2.3, the length), the ciphertext or its tag,
 *   records dropped, duplicated, swapped or turned into the last one (no length), a protected
 *   record re-framed with a DTLSPlaintext / DTLS 1.2 header (legacy_record_version, any epoch,
 *   the content types of 4.1), and the handshake header of the DTLSPlaintext ClientHello,
 *   HelloRetryRequest and ServerHello;
 * - inside the keys, as a peer holding them can (a broken or malicious implementation): the
 *   plaintext handed to a side's Dtls13RecordLayer.seal — its EncryptedExtensions, Certificate,
 *   CertificateVerify, Finished, KeyUpdate, ACK, alert, application data — bit-flipped,
 *   truncated, extended, given another handshake header field or another content type, then
 *   sealed as usual, so the receiver's parsers and state machine (not its AEAD) get it.
 *
 * Positions are taken modulo the sizes, so any mutation applies to any record and shrinks.
 */
import fc from 'fast-check';
import { concatBytes } from '../../src/bytes.js';

/** One record of a DTLS 1.3 datagram as the framing goes (RFC 9147 4, 4.1), read here without trusting the engine. */
export interface Span13 {
  readonly start: number;
  readonly end: number;
  /** 'plaintext': the 13-byte DTLSPlaintext header; 'unified': DTLSCiphertext with the unified header. */
  readonly kind: 'plaintext' | 'unified';
  /** Where the sequence number (encrypted for 'unified') sits and how long it is. */
  readonly seqAt: number;
  readonly seqLength: number;
  /** Where the 16-bit length sits, when the record has one. */
  readonly lengthAt: number | undefined;
  /** The record's body (ciphertext and tag, or the plaintext fragment). */
  readonly bodyAt: number;
}

/** The records of a DTLS 1.3 datagram; `cidLength` is the receiver's CID length (none in these scenarios). */
export function spans13(d: Uint8Array, cidLength = 0): Span13[] {
  const out: Span13[] = [];
  let at = 0;
  while (at < d.length) {
    const first = d[at] ?? 0;
    if ((first & 0xe0) === 0x20) {
      const cid = (first & 0x10) !== 0 ? cidLength : 0;
      const seqLength = (first & 0x08) !== 0 ? 2 : 1;
      const hasLength = (first & 0x04) !== 0;
      const seqAt = at + 1 + cid;
      const lengthAt = hasLength ? seqAt + seqLength : undefined;
      const bodyAt = seqAt + seqLength + (hasLength ? 2 : 0);
      if (bodyAt > d.length) break;
      const length = lengthAt === undefined ? d.length - bodyAt : ((d[lengthAt] ?? 0) << 8) | (d[lengthAt + 1] ?? 0);
      const end = Math.min(d.length, bodyAt + length);
      out.push({ start: at, end, kind: 'unified', seqAt, seqLength, lengthAt, bodyAt });
      at = end;
      continue;
    }
    if (at + 13 > d.length) break;
    const length = ((d[at + 11] ?? 0) << 8) | (d[at + 12] ?? 0);
    const end = Math.min(d.length, at + 13 + length);
    out.push({ start: at, end, kind: 'plaintext', seqAt: at + 5, seqLength: 6, lengthAt: at + 11, bodyAt: at + 13 });
    at = end;
  }
  return out;
}

export type Unified13Field = 'flags' | 'epoch-bits' | 'sequence' | 'length';
export type Handshake13Field = 'msgType' | 'length' | 'messageSeq' | 'fragmentOffset' | 'fragmentLength';

export type Dtls13WireMutation =
  | { readonly kind: 'unified-field'; readonly record: number; readonly field: Unified13Field; readonly value: number }
  | { readonly kind: 'body-flip'; readonly record: number; readonly position: number; readonly bit: number }
  | { readonly kind: 'drop-record'; readonly record: number }
  | { readonly kind: 'duplicate-record13'; readonly record: number }
  | { readonly kind: 'swap-records13'; readonly a: number; readonly b: number }
  | { readonly kind: 'strip-length'; readonly record: number }
  | { readonly kind: 'as-dtls12'; readonly record: number; readonly type: number; readonly version: number; readonly epoch: number }
  | { readonly kind: 'plaintext-handshake-field'; readonly record: number; readonly field: Handshake13Field; readonly value: number };

/** What may happen to the plaintext of one record a side seals (a peer that holds the keys). */
export type Dtls13SealMutation =
  | { readonly kind: 'flip'; readonly position: number; readonly bit: number }
  | { readonly kind: 'truncate'; readonly keep: number }
  | { readonly kind: 'append'; readonly bytes: Uint8Array }
  | { readonly kind: 'handshake-field'; readonly field: Handshake13Field; readonly value: number }
  | { readonly kind: 'content-type'; readonly type: number }
  | { readonly kind: 'replace'; readonly bytes: Uint8Array };

function fieldValue(bits: number): fc.Arbitrary<number> {
  const max = 2 ** bits - 1;
  return fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 0, max: Math.min(max, 24) }) },
    { weight: 2, arbitrary: fc.constantFrom(0, 1, max, max - 1, 2 ** (bits - 1)) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max }) },
  );
}

const UNIFIED_FIELD_BITS: Record<Unified13Field, number> = { flags: 8, 'epoch-bits': 2, sequence: 16, length: 16 };
const HANDSHAKE_FIELD_BITS: Record<Handshake13Field, number> = { msgType: 8, length: 24, messageSeq: 16, fragmentOffset: 24, fragmentLength: 24 };
/** Offsets of the DTLS handshake header fields (RFC 9147 5.2) from the start of a handshake fragment. */
const HANDSHAKE_FIELD_AT: Record<Handshake13Field, [number, number]> = { msgType: [0, 1], length: [1, 3], messageSeq: [4, 2], fragmentOffset: [6, 3], fragmentLength: [9, 3] };
/** Content types a 1.3 peer sends, and neighbours (RFC 9147 4.1: 20, 23, 24, 25 are DTLS 1.2's). */
const CONTENT_TYPES = fc.constantFrom(20, 21, 22, 23, 24, 25, 26, 27, 255);
const recordIndex = fc.nat(7);
const position = fc.nat(4096);
const handshakeField = fc.constantFrom<Handshake13Field>('msgType', 'length', 'messageSeq', 'fragmentOffset', 'fragmentLength');

export const dtls13WireMutationArbitrary: fc.Arbitrary<Dtls13WireMutation> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .constantFrom<Unified13Field>('flags', 'epoch-bits', 'sequence', 'length')
      .chain((field) => fc.record({ kind: fc.constant('unified-field' as const), record: recordIndex, field: fc.constant(field), value: fieldValue(UNIFIED_FIELD_BITS[field]) })),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('body-flip' as const), record: recordIndex, position, bit: fc.nat(7) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop-record' as const), record: recordIndex }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('duplicate-record13' as const), record: recordIndex }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('swap-records13' as const), a: recordIndex, b: recordIndex }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('strip-length' as const), record: recordIndex }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('as-dtls12' as const),
      record: recordIndex,
      type: CONTENT_TYPES,
      version: fc.constantFrom(0xfefd, 0xfefc, 0xfeff, 0x0303, 0x0304),
      epoch: fc.constantFrom(0, 1, 2, 3, 4, 0xffff),
    }),
  },
  {
    weight: 4,
    arbitrary: handshakeField.chain((field) =>
      fc.record({ kind: fc.constant('plaintext-handshake-field' as const), record: recordIndex, field: fc.constant(field), value: fieldValue(HANDSHAKE_FIELD_BITS[field]) }),
    ),
  },
);

export const dtls13SealMutationArbitrary: fc.Arbitrary<Dtls13SealMutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('flip' as const), position, bit: fc.nat(7) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), keep: position }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }) },
  { weight: 4, arbitrary: handshakeField.chain((field) => fc.record({ kind: fc.constant('handshake-field' as const), field: fc.constant(field), value: fieldValue(HANDSHAKE_FIELD_BITS[field]) })) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('content-type' as const), type: CONTENT_TYPES }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('replace' as const), bytes: fc.uint8Array({ maxLength: 40 }) }) },
);

function writeUint(out: Uint8Array, offset: number, bytes: number, value: number): void {
  let v = value;
  for (let i = bytes - 1; i >= 0; i--) {
    if (offset + i >= 0 && offset + i < out.length) out[offset + i] = v % 256;
    v = Math.floor(v / 256);
  }
}

const at = (p: number, n: number): number => (n === 0 ? 0 : p % n);

/** Applies one wire mutation to a DTLS 1.3 datagram. */
export function applyDtls13WireMutation(d: Uint8Array, m: Dtls13WireMutation): Uint8Array {
  const spans = spans13(d);
  if (m.kind === 'swap-records13') {
    const a = spans[at(m.a, spans.length)];
    const b = spans[at(m.b, spans.length)];
    if (!a || !b || a === b) return d;
    const [first, second] = a.start < b.start ? [a, b] : [b, a];
    return concatBytes(d.subarray(0, first.start), d.subarray(second.start, second.end), d.subarray(first.end, second.start), d.subarray(first.start, first.end), d.subarray(second.end));
  }
  const span = spans[at(m.record, spans.length)];
  if (!span) return d;
  switch (m.kind) {
    case 'unified-field': {
      if (span.kind !== 'unified') return d;
      const out = d.slice();
      if (m.field === 'flags') out[span.start] = m.value;
      else if (m.field === 'epoch-bits') out[span.start] = ((out[span.start] ?? 0) & 0xfc) | (m.value & 3);
      else if (m.field === 'sequence') writeUint(out, span.seqAt, span.seqLength, m.value);
      else if (span.lengthAt !== undefined) writeUint(out, span.lengthAt, 2, m.value);
      return out;
    }
    case 'body-flip': {
      if (span.end <= span.bodyAt) return d;
      const out = d.slice();
      const i = span.bodyAt + at(m.position, span.end - span.bodyAt);
      out[i] = (out[i] ?? 0) ^ (1 << m.bit);
      return out;
    }
    case 'drop-record':
      return concatBytes(d.subarray(0, span.start), d.subarray(span.end));
    case 'duplicate-record13':
      return concatBytes(d.subarray(0, span.end), d.subarray(span.start, span.end), d.subarray(span.end));
    case 'strip-length': {
      // The record with L = 0 (RFC 9147 4: it then runs to the end of the datagram), moved last.
      if (span.kind !== 'unified' || span.lengthAt === undefined) return d;
      const header = Uint8Array.of((d[span.start] ?? 0) & ~0x04);
      const rest = concatBytes(d.subarray(0, span.start), d.subarray(span.end));
      return concatBytes(rest, header, d.subarray(span.start + 1, span.lengthAt), d.subarray(span.bodyAt, span.end));
    }
    case 'as-dtls12': {
      // The record's body under a 13-byte DTLSPlaintext / DTLS 1.2 header (a legacy_record_version record in a 1.3 epoch).
      const body = d.subarray(span.bodyAt, span.end);
      const header = new Uint8Array(13);
      header[0] = m.type;
      writeUint(header, 1, 2, m.version);
      writeUint(header, 3, 2, m.epoch);
      writeUint(header, 5, 6, 1_000 + m.record);
      writeUint(header, 11, 2, body.length);
      return concatBytes(d.subarray(0, span.start), header, body, d.subarray(span.end));
    }
    case 'plaintext-handshake-field': {
      if (span.kind !== 'plaintext' || d[span.start] !== 22) return d;
      const [offset, bytes] = HANDSHAKE_FIELD_AT[m.field];
      if (span.bodyAt + offset >= span.end) return d;
      const out = d.slice();
      writeUint(out, span.bodyAt + offset, bytes, m.value);
      return out;
    }
  }
}

/** Applies a seal mutation to a record's type and plaintext, before it is sealed. */
export function applyDtls13SealMutation(type: number, content: Uint8Array, m: Dtls13SealMutation): { type: number; content: Uint8Array } {
  switch (m.kind) {
    case 'flip': {
      if (content.length === 0) return { type, content };
      const out = content.slice();
      const i = at(m.position, out.length);
      out[i] = (out[i] ?? 0) ^ (1 << m.bit);
      return { type, content: out };
    }
    case 'truncate':
      return { type, content: content.slice(0, at(m.keep, content.length + 1)) };
    case 'append':
      return { type, content: concatBytes(content, m.bytes) };
    case 'handshake-field': {
      if (type !== 22) return { type, content };
      const [offset, bytes] = HANDSHAKE_FIELD_AT[m.field];
      if (offset >= content.length) return { type, content };
      const out = content.slice();
      writeUint(out, offset, bytes, m.value);
      return { type, content: out };
    }
    case 'content-type':
      return { type: m.type, content };
    case 'replace':
      return { type, content: m.bytes };
  }
}
