import { bytesEqual, viewOf } from '../bytes.js';
import { writeEpochAndSequence } from './aead-nonce.js';
import { DTLS12_RECORD_FORMAT } from './dtls12-record-format.js';
import { ContentType, isRecordContentType } from './content-type.js';
import type { RawRecord } from './datagram.js';
import type { InnerRecord, RecordFormat } from './record-format.js';
import { DTLS_1_2_VERSION, MAX_CIPHERTEXT_LENGTH } from './record-header.js';
import type { RecordHeader } from './record-header.js';

/*
 * RFC 9146 4 — the record of a connection that negotiated a non-empty CID in this direction:
 *
 *   struct {
 *       ContentType outer_type = tls12_cid;
 *       ProtocolVersion version;
 *       uint16 epoch;
 *       uint48 sequence_number;
 *       opaque cid[cid_length];               // New field
 *       uint16 length;
 *       opaque enc_content[DTLSCiphertext.length];
 *   } DTLSCiphertext;
 *
 *   struct {
 *       opaque content[length];
 *       ContentType real_type;
 *       uint8 zeros[length_of_padding];
 *   } DTLSInnerPlaintext;
 *
 * The CID's length is not on the wire: the receiver knows the length of the CID it chose.
 *
 * RFC 9146 5.3 — the AEAD additional data:
 *
 *   additional_data = seq_num_placeholder +      // 8 bytes of 0xff
 *                     tls12_cid +                // 1 byte, 25
 *                     cid_length +               // 1 byte
 *                     tls12_cid +                // 1 byte, 25
 *                     DTLSCiphertext.version +   // 2 bytes
 *                     epoch +                    // 2 bytes
 *                     sequence_number +          // 6 bytes
 *                     cid +                      // cid_length bytes
 *                     length_of_DTLSInnerPlaintext; // 2 bytes
 */

/** Bytes of the header around the CID: type(1) version(2) epoch(2) sequence_number(6) length(2). */
const FIXED_HEADER_LENGTH = 13;
/** Bytes of the additional data around the CID: 8 + 1 + 1 + 1 + 2 + 2 + 6 + 2. */
const FIXED_AAD_LENGTH = 23;

/**
 * The tls12_cid record format (RFC 9146 4, 5.3) carrying `cid`: in a write epoch the CID the peer
 * asked to receive, in a read epoch ours. Records are padded with no zeros: the inner plaintext
 * adds the real content type only (padding is allowed, not required, RFC 9146 4).
 */
export function tls12CidRecordFormat(cid: Uint8Array): RecordFormat {
  if (cid.length < 1 || cid.length > 255) {
    // A zero-length CID means plain DTLS 1.2 records in that direction (RFC 9146 3).
    throw new RangeError(`a tls12_cid record carries a CID of 1 to 255 bytes, got ${cid.length}`);
  }
  const connectionId = cid.slice();
  const headerLength = FIXED_HEADER_LENGTH + connectionId.length;
  const format: RecordFormat = {
    name: 'tls12_cid',
    // RFC 9146 4: tls12_cid records are DTLSCiphertext of DTLS 1.2.
    version: DTLS_1_2_VERSION,
    headerLength,
    connectionId,
    innerPlaintextExpansion: 1,

    frames(firstByte: number): boolean {
      return firstByte === ContentType.tls12_cid;
    },

    frame(datagram: Uint8Array, offset: number): RawRecord | undefined {
      if (offset < 0 || datagram.length - offset < headerLength) return undefined;
      const b = (i: number): number => datagram[offset + i] ?? 0;
      const cidEnd = offset + 11 + connectionId.length;
      const length = (b(11 + connectionId.length) << 8) | b(12 + connectionId.length);
      // RFC 5246 6.2.3: DTLSCiphertext.length MUST NOT exceed 2^14 + 2048.
      if (length > MAX_CIPHERTEXT_LENGTH) return undefined;
      const start = offset + headerLength;
      const end = start + length;
      if (end > datagram.length) return undefined;
      const header: RecordHeader = {
        type: b(0),
        version: (b(1) << 8) | b(2),
        epoch: (b(3) << 8) | b(4),
        sequenceNumber: ((b(5) << 8) | b(6)) * 0x1_0000_0000 + (b(7) * 0x100_0000 + ((b(8) << 16) | (b(9) << 8) | b(10))),
        length,
        connectionId: datagram.slice(offset + 11, cidEnd),
      };
      return { header, fragment: viewOf(datagram, start, end), headerLength, format };
    },

    // RFC 9146 4: tls12_cid records are DTLS 1.2 ciphertext; one that carries another CID is
    // not for this connection (it would fail authentication anyway: the CID is in the AAD).
    accepts(header: RecordHeader): boolean {
      return (
        header.type === ContentType.tls12_cid &&
        header.version === DTLS_1_2_VERSION &&
        header.connectionId !== undefined &&
        bytesEqual(header.connectionId, connectionId)
      );
    },

    encodeHeader(header: RecordHeader, out: Uint8Array, offset: number): void {
      out[offset] = header.type & 0xff;
      out[offset + 1] = (header.version >>> 8) & 0xff;
      out[offset + 2] = header.version & 0xff;
      writeEpochAndSequence(header.epoch, header.sequenceNumber, out, offset + 3);
      out.set(connectionId, offset + 11);
      out[offset + 11 + connectionId.length] = (header.length >>> 8) & 0xff;
      out[offset + 12 + connectionId.length] = header.length & 0xff;
    },

    additionalData(header: RecordHeader, plaintextLength: number, scratch?: Uint8Array): Uint8Array {
      const length = FIXED_AAD_LENGTH + connectionId.length;
      const out = scratch === undefined ? new Uint8Array(length) : scratch.length === length ? scratch : scratch.subarray(0, length);
      out.fill(0xff, 0, 8); // seq_num_placeholder
      out[8] = ContentType.tls12_cid;
      out[9] = connectionId.length; // cid_length
      out[10] = ContentType.tls12_cid;
      out[11] = (header.version >>> 8) & 0xff;
      out[12] = header.version & 0xff;
      writeEpochAndSequence(header.epoch, header.sequenceNumber, out, 13);
      out.set(connectionId, 21);
      out[21 + connectionId.length] = (plaintextLength >>> 8) & 0xff;
      out[22 + connectionId.length] = plaintextLength & 0xff;
      return out;
    },

    wireType(): number {
      return ContentType.tls12_cid;
    },

    innerPlaintext(type: number, payload: Uint8Array, scratch?: Uint8Array): Uint8Array {
      const out = scratch === undefined ? new Uint8Array(payload.length + 1) : scratch.subarray(0, payload.length + 1);
      out.set(payload, 0);
      out[payload.length] = type;
      return out;
    },

    // RFC 9146 4: the real type is the last non-zero byte; the zeros after it are padding. A
    // plaintext of zeros only, or a real type DTLS 1.2 does not define (tls12_cid inside itself
    // included), is an invalid record: dropped (RFC 6347 4.1.2.7).
    openInnerPlaintext(_wireType: number, plaintext: Uint8Array): InnerRecord | undefined {
      let i = plaintext.length - 1;
      while (i >= 0 && plaintext[i] === 0) i--;
      if (i < 0) return undefined;
      const type = plaintext[i] ?? 0;
      if (!isRecordContentType(type)) return undefined;
      return { type, payload: plaintext.subarray(0, i) };
    },
  };
  return format;
}

/**
 * The format of the records that carry `cid` in one direction, once the handshake's keys are in
 * use: tls12_cid for a non-empty CID; DTLS 1.2's when CIDs were not negotiated or the CID of that
 * direction is empty ("a zero-length CID ... the peer does not wish to receive one", RFC 9146 3).
 */
export function recordFormatForConnectionId(cid: Uint8Array | undefined): RecordFormat {
  return cid === undefined || cid.length === 0 ? DTLS12_RECORD_FORMAT : tls12CidRecordFormat(cid);
}
