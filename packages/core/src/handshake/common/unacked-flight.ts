import { ContentType } from '../../record/content-type.js';
import { MAX_PLAINTEXT_LENGTH } from '../../record/record-header.js';
import { encodeHandshakeFragment, HANDSHAKE_HEADER_LENGTH } from '../handshake-header.js';
import { packRecords, type FlightHandshakeMessage } from './flight.js';
import type { RecordNumber, SentFlightLedger } from './sent-flight-ledger.js';

/** A sealed record and the number it was given (RFC 9147 4: what an ACK will name it by, 7). */
export interface NumberedRecord {
  readonly record: Uint8Array;
  readonly number: RecordNumber;
}

/** What sending a DTLS 1.3 flight needs from the record layer. */
export interface NumberedSealer {
  seal(type: number, payload: Uint8Array, epoch: number): NumberedRecord;
  /** Bytes a record of this epoch adds around its plaintext, header included. */
  recordOverhead(epoch: number): number;
}

/**
 * Seals the parts of a flight the peer has not acknowledged (RFC 9147 5.8.1: "it SHOULD omit
 * any messages or message fragments which have already been ACKed") into records, one handshake
 * fragment per record so that an ACK of a record acknowledges exactly one byte range, notes in
 * the ledger which record carried which range (7.3), and packs the records into datagrams no
 * larger than the MTU. A first transmission is the same call with an empty ledger.
 * `maxPlaintext`: the peer's record size limit (RFC 8449 4), when smaller than what the MTU leaves.
 */
export function serializeUnacked(
  messages: readonly FlightHandshakeMessage[],
  ledger: SentFlightLedger,
  sealer: NumberedSealer,
  mtu: number,
  maxPlaintext = MAX_PLAINTEXT_LENGTH,
  /** 'lost': only what the ledger presumes lost (after a partial ACK); 'missing': all not acknowledged. */
  which: 'missing' | 'lost' = 'missing',
): Uint8Array[] {
  const records: Uint8Array[] = [];
  messages.forEach((m, index) => {
    const room = Math.min(mtu - sealer.recordOverhead(m.epoch), maxPlaintext) - HANDSHAKE_HEADER_LENGTH;
    if (room < 1) throw new RangeError(`mtu ${mtu} leaves no room for a handshake fragment in epoch ${m.epoch}`);
    for (const [start, end] of which === 'lost' ? ledger.presumedLost(index) : ledger.missing(index)) {
      // An empty message (a missing [0, 0)) is one empty fragment; otherwise pieces of at most `room`.
      let offset = start;
      do {
        const stop = Math.min(end, offset + room);
        const fragment = encodeHandshakeFragment({
          msgType: m.msgType,
          length: m.body.length,
          messageSeq: m.messageSeq,
          fragmentOffset: offset,
          body: m.body.subarray(offset, stop),
        });
        const sealed = sealer.seal(ContentType.handshake, fragment, m.epoch);
        ledger.recordSent(sealed.number, [{ message: index, offset, length: stop - offset }]);
        records.push(sealed.record);
        offset = stop;
      } while (offset < end);
    }
  });
  return packRecords(records, mtu);
}
