/**
 * Forging what an attacker can send: plaintext (epoch 0) records carrying handshake fragments,
 * ChangeCipherSpec or alerts, with record and message sequence numbers of its choosing. Shared
 * by the bug-class tests; builds on the engine harness (../engine/harness.ts).
 */
import { concatBytes } from '../../src/bytes.js';
import type { DtlsConnection } from '../../src/connection.js';
import { encodeHandshakeFragment } from '../../src/handshake/handshake-header.js';
import { HandshakeReassembler } from '../../src/handshake/common/reassembler.js';
import { ContentType } from '../../src/record/content-type.js';
import { splitRecords } from '../../src/record/datagram.js';
import { encodeRecord } from '../../src/record/record-header.js';
import { plainRecord, recordsOf } from '../engine/harness.js';

/** Record sequence numbers far above anything a real handshake uses, so forgeries never look like replays. */
let forgedSequence = 1_000_000;

export interface ForgedFragment {
  msgType: number;
  messageSeq: number;
  body?: Uint8Array;
  /** Claimed message length (default: the body's length). */
  length?: number;
  fragmentOffset?: number;
}

/** One epoch-0 handshake record holding one fragment. */
export function forgedHandshake(f: ForgedFragment, epoch = 0): Uint8Array {
  const body = f.body ?? new Uint8Array(0);
  return plainRecord(
    ContentType.handshake,
    encodeHandshakeFragment({ msgType: f.msgType, messageSeq: f.messageSeq, length: f.length ?? body.length, fragmentOffset: f.fragmentOffset ?? 0, body }),
    forgedSequence++,
    epoch,
  );
}

/**
 * A plaintext ChangeCipherSpec record (RFC 5246 7.1). A record sequence number may be given: one
 * a little ahead of the peer's keeps the epoch-0 replay window where the peer's records still fit.
 */
export function forgedChangeCipherSpec(sequenceNumber = forgedSequence++): Uint8Array {
  return plainRecord(ContentType.change_cipher_spec, new Uint8Array([1]), sequenceNumber);
}

/** Records as one datagram. */
export function datagram(...records: Uint8Array[]): Uint8Array {
  return concatBytes(...records);
}

/** The reassembler of a connection's handshake (read only: how much it buffers, what it expects next). */
export function reassemblerOf(conn: DtlsConnection): HandshakeReassembler {
  const handshake: unknown = Reflect.get(conn, 'handshake');
  const reassembler: unknown = typeof handshake === 'object' && handshake !== null ? Reflect.get(handshake, 'reassembler') : undefined;
  if (!(reassembler instanceof HandshakeReassembler)) throw new Error('no handshake reassembler');
  return reassembler;
}

/** Total bytes of a list of datagrams. */
export function bytesOf(datagrams: readonly Uint8Array[]): number {
  return datagrams.reduce((n, d) => n + d.length, 0);
}

/**
 * Gives the epoch-0 records of a real datagram fresh sequence numbers above every forgery
 * (an on-path relay can: they are not authenticated). A forged plaintext record whose content the
 * handshake takes (it completes a message that is handled) moves the epoch-0 replay window
 * (RFC 6347 4.1.2.6), so a test that forges first and then lets the real flight through
 * renumbers it, to test what it means to test rather than the window.
 */
export function renumberPlaintext(d: Uint8Array): Uint8Array {
  return datagram(
    ...splitRecords(d).map((r) => encodeRecord(r.header.epoch === 0 ? { ...r.header, sequenceNumber: forgedSequence++ } : r.header, r.fragment)),
  );
}

/** A handshake fragment header and body written byte by byte, whatever the fields say (encodeHandshakeFragment refuses inconsistent ones). */
export function rawFragment(msgType: number, length: number, messageSeq: number, fragmentOffset: number, fragmentLength: number, body: Uint8Array): Uint8Array {
  const u24 = (v: number): number[] => [(v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
  return concatBytes(new Uint8Array([msgType, ...u24(length), (messageSeq >>> 8) & 0xff, messageSeq & 0xff, ...u24(fragmentOffset), ...u24(fragmentLength)]), body);
}

/** One epoch-0 handshake record around raw fragment bytes. */
export function forgedRecord(fragmentBytes: Uint8Array): Uint8Array {
  return plainRecord(ContentType.handshake, fragmentBytes, forgedSequence++);
}

/**
 * Makes a connection seal every handshake record of a protected epoch (its Finished) after
 * `edit`: the peer opens the record (right keys) and finds the edited message inside.
 */
export function tamperProtectedHandshake(conn: DtlsConnection, edit: (payload: Uint8Array) => Uint8Array): { edits: number } {
  const layer = recordsOf(conn);
  const seal = layer.seal.bind(layer);
  const counter = { edits: 0 };
  layer.seal = (type: number, payload: Uint8Array, epoch?: number): Uint8Array => {
    if (type === ContentType.handshake && (epoch ?? layer.writeEpoch) > 0) {
      counter.edits++;
      return seal(type, edit(payload), epoch);
    }
    return seal(type, payload, epoch);
  };
  return counter;
}

/** The record layer of a connection, read only here (epochs, counters). */
export function recordsOfConn(conn: DtlsConnection): { readonly readEpoch: number; readonly writeEpoch: number } {
  return recordsOf(conn);
}
