/**
 * Reading the datagrams a test network carries, without keys: the records, the plaintext
 * handshake messages and alerts. `records` is the engine's own record splitter; `recordViews`
 * is the test kit's independent reader (RFC 6347 4.1, 4.2.2), for tests that must not trust
 * the code under test to tell them what went over the wire.
 */
import { parseRecords, recordBytes } from '@dtls-kit/test-kit';
import { decodeHandshakeFragments } from '../../src/handshake/handshake-header.js';
import { ContentType } from '../../src/record/content-type.js';
import { splitRecords } from '../../src/record/datagram.js';
import type { RecordHeader } from '../../src/record/record-header.js';

/** The records of a datagram with their headers, plaintext fragments as-is. */
export function records(datagram: Uint8Array): { header: RecordHeader; fragment: Uint8Array }[] {
  return splitRecords(datagram);
}

/** One record of a datagram, as bytes, with what can be read without keys. */
export interface RecordView {
  bytes: Uint8Array;
  type: number;
  epoch: number;
  seq: number;
  /** msg_type of the (first) handshake fragment of an epoch-0 handshake record. */
  msgType: number | undefined;
  messageSeq: number | undefined;
  /** An epoch-0 handshake record that carries only part of its message (RFC 6347 4.2.3). */
  fragmented: boolean;
}

/** The whole records of a datagram, read by the test kit, unchecked. */
export function recordViews(datagram: Uint8Array): RecordView[] {
  return parseRecords(datagram)
    .filter((r) => r.complete)
    .map((r) => ({
      bytes: recordBytes(datagram, r),
      type: r.contentType,
      epoch: r.epoch,
      seq: r.sequence,
      msgType: r.handshakeType,
      messageSeq: r.messageSeq,
      fragmented: r.handshakeType !== undefined && r.messageLength !== r.fragmentLength,
    }));
}

/** The handshake message types (epoch 0) a datagram carries, in order. */
export function handshakeTypes(datagram: Uint8Array): number[] {
  const types: number[] = [];
  for (const r of splitRecords(datagram)) {
    if (r.header.type === ContentType.handshake && r.header.epoch === 0) {
      for (const f of decodeHandshakeFragments(r.fragment)) types.push(f.msgType);
    }
  }
  return types;
}

/** Alert records (level, description) of epoch 0 in a datagram (protected ones cannot be read here). */
export function plainAlerts(datagram: Uint8Array): [number, number][] {
  return splitRecords(datagram)
    .filter((r) => r.header.type === ContentType.alert && r.header.epoch === 0 && r.fragment.length === 2)
    .map((r) => [r.fragment[0] ?? -1, r.fragment[1] ?? -1]);
}

/** True when the datagram carries a ChangeCipherSpec record (flight 5 from a client, flight 6 from a server). */
export function hasChangeCipherSpec(datagram: Uint8Array): boolean {
  return recordViews(datagram).some((r) => r.type === ContentType.change_cipher_spec);
}

/** True when an epoch-0 handshake record of the datagram starts a message of this type. */
export function hasHandshake(datagram: Uint8Array, msgType: number): boolean {
  return recordViews(datagram).some((r) => r.msgType === msgType);
}
