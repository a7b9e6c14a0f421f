/**
 * Structured mutations of real DTLS datagrams, as fast-check values: byte-level (bit flips,
 * insertion, deletion, truncation), field-aware (the record header of RFC 6347 4.1 and the
 * handshake header of RFC 6347 4.2.2, at any record of the datagram), and datagram-level
 * (splicing with another real datagram, duplicating or swapping records, replaying a datagram
 * of another session or state). Positions are taken modulo the datagram's size, so a mutation
 * applies to any datagram and a failing case shrinks to a short list of them.
 */
import fc from 'fast-check';
import { concatBytes } from '../../src/bytes.js';
import { RECORD_HEADER_LENGTH } from '../../src/record/record-header.js';

export type RecordField = 'type' | 'version' | 'epoch' | 'sequence' | 'length';
export type HandshakeField = 'msgType' | 'length' | 'messageSeq' | 'fragmentOffset' | 'fragmentLength';

export type Mutation =
  | { readonly kind: 'flip'; readonly position: number; readonly bit: number }
  | { readonly kind: 'insert'; readonly position: number; readonly bytes: Uint8Array }
  | { readonly kind: 'delete'; readonly position: number; readonly count: number }
  | { readonly kind: 'truncate'; readonly keep: number }
  | { readonly kind: 'record-field'; readonly record: number; readonly field: RecordField; readonly value: number }
  | { readonly kind: 'handshake-field'; readonly record: number; readonly field: HandshakeField; readonly value: number }
  | { readonly kind: 'splice'; readonly corpus: number; readonly position: number; readonly from: number }
  | { readonly kind: 'duplicate-record'; readonly record: number }
  | { readonly kind: 'swap-records'; readonly a: number; readonly b: number }
  | { readonly kind: 'replace'; readonly corpus: number };

/** A value for a header field: small, at a boundary, or anything the field can hold. */
function fieldValue(bits: number): fc.Arbitrary<number> {
  const max = 2 ** bits - 1;
  return fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 0, max: Math.min(max, 24) }) },
    { weight: 2, arbitrary: fc.constantFrom(0, 1, max, max - 1, 2 ** (bits - 1)) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max }) },
  );
}

const RECORD_FIELD_BITS: Record<RecordField, number> = { type: 8, version: 16, epoch: 16, sequence: 48, length: 16 };
const HANDSHAKE_FIELD_BITS: Record<HandshakeField, number> = { msgType: 8, length: 24, messageSeq: 16, fragmentOffset: 24, fragmentLength: 24 };

const position = fc.nat(4096);
const recordIndex = fc.nat(7);
const corpusIndex = fc.nat(1 << 16);

export const mutationArbitrary: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('flip' as const), position, bit: fc.nat(7) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('insert' as const), position, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), position, count: fc.integer({ min: 1, max: 32 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), keep: position }) },
  {
    weight: 4,
    arbitrary: fc
      .constantFrom<RecordField>('type', 'version', 'epoch', 'sequence', 'length')
      .chain((field) => fc.record({ kind: fc.constant('record-field' as const), record: recordIndex, field: fc.constant(field), value: fieldValue(RECORD_FIELD_BITS[field]) })),
  },
  {
    weight: 4,
    arbitrary: fc
      .constantFrom<HandshakeField>('msgType', 'length', 'messageSeq', 'fragmentOffset', 'fragmentLength')
      .chain((field) =>
        fc.record({ kind: fc.constant('handshake-field' as const), record: recordIndex, field: fc.constant(field), value: fieldValue(HANDSHAKE_FIELD_BITS[field]) }),
      ),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('splice' as const), corpus: corpusIndex, position, from: position }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('duplicate-record' as const), record: recordIndex }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('swap-records' as const), a: recordIndex, b: recordIndex }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('replace' as const), corpus: corpusIndex }) },
);

/** Where each record of a datagram starts and ends, as far as the framing goes (RFC 6347 4.1.1). */
export function recordSpans(d: Uint8Array): { start: number; end: number }[] {
  const spans: { start: number; end: number }[] = [];
  let offset = 0;
  while (offset + RECORD_HEADER_LENGTH <= d.length) {
    const length = ((d[offset + 11] ?? 0) << 8) | (d[offset + 12] ?? 0);
    const end = Math.min(d.length, offset + RECORD_HEADER_LENGTH + length);
    spans.push({ start: offset, end });
    offset = end;
  }
  return spans;
}

function writeUint(out: Uint8Array, offset: number, bytes: number, value: number): void {
  let v = value;
  for (let i = bytes - 1; i >= 0; i--) {
    if (offset + i < out.length) out[offset + i] = v % 256;
    v = Math.floor(v / 256);
  }
}

const RECORD_FIELD_AT: Record<RecordField, [number, number]> = { type: [0, 1], version: [1, 2], epoch: [3, 2], sequence: [5, 6], length: [11, 2] };
// Offsets inside the record: the handshake header follows the 13-byte record header.
const HANDSHAKE_FIELD_AT: Record<HandshakeField, [number, number]> = {
  msgType: [13, 1],
  length: [14, 3],
  messageSeq: [17, 2],
  fragmentOffset: [19, 3],
  fragmentLength: [22, 3],
};

/** Applies one mutation; `corpus` holds real datagrams (other sessions, other states) for splicing. */
export function applyMutation(d: Uint8Array, m: Mutation, corpus: readonly Uint8Array[]): Uint8Array {
  const at = (p: number, n: number): number => (n === 0 ? 0 : p % n);
  switch (m.kind) {
    case 'flip': {
      if (d.length === 0) return d;
      const out = d.slice();
      const i = at(m.position, d.length);
      out[i] = (out[i] ?? 0) ^ (1 << m.bit);
      return out;
    }
    case 'insert': {
      const i = at(m.position, d.length + 1);
      return concatBytes(d.subarray(0, i), m.bytes, d.subarray(i));
    }
    case 'delete': {
      const i = at(m.position, d.length + 1);
      return concatBytes(d.subarray(0, i), d.subarray(i + m.count));
    }
    case 'truncate':
      return d.slice(0, at(m.keep, d.length + 1));
    case 'record-field':
    case 'handshake-field': {
      const spans = recordSpans(d);
      const span = spans[at(m.record, spans.length)];
      if (!span) return d;
      const [offset, bytes] = m.kind === 'record-field' ? RECORD_FIELD_AT[m.field] : HANDSHAKE_FIELD_AT[m.field];
      if (span.start + offset >= span.end && m.kind === 'handshake-field') return d;
      const out = d.slice();
      writeUint(out, span.start + offset, bytes, m.value);
      return out;
    }
    case 'splice': {
      const other = corpus[at(m.corpus, corpus.length)] ?? new Uint8Array(0);
      return concatBytes(d.subarray(0, at(m.position, d.length + 1)), other.subarray(at(m.from, other.length + 1)));
    }
    case 'duplicate-record': {
      const spans = recordSpans(d);
      const span = spans[at(m.record, spans.length)];
      if (!span) return d;
      return concatBytes(d.subarray(0, span.end), d.subarray(span.start, span.end), d.subarray(span.end));
    }
    case 'swap-records': {
      const spans = recordSpans(d);
      const a = spans[at(m.a, spans.length)];
      const b = spans[at(m.b, spans.length)];
      if (!a || !b || a === b) return d;
      const [first, second] = a.start < b.start ? [a, b] : [b, a];
      return concatBytes(
        d.subarray(0, first.start),
        d.subarray(second.start, second.end),
        d.subarray(first.end, second.start),
        d.subarray(first.start, first.end),
        d.subarray(second.end),
      );
    }
    case 'replace':
      return corpus[at(m.corpus, corpus.length)] ?? d;
  }
}

export function applyMutations(d: Uint8Array, ms: readonly Mutation[], corpus: readonly Uint8Array[]): Uint8Array {
  let out = d;
  for (const m of ms) out = applyMutation(out, m, corpus);
  return out;
}
