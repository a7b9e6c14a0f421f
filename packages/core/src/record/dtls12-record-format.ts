import { viewOf } from '../bytes.js';
import { aeadAdditionalData } from './aead-nonce.js';
import { isRecordContentType } from './content-type.js';
import type { RawRecord } from './datagram.js';
import type { InnerRecord, RecordFormat } from './record-format.js';
import {
  DTLS_1_0_VERSION,
  DTLS_1_2_VERSION,
  MAX_CIPHERTEXT_LENGTH,
  RECORD_HEADER_LENGTH,
  decodeRecordHeader,
  encodeRecordHeader,
} from './record-header.js';
import type { RecordHeader } from './record-header.js';

const NO_CONNECTION_ID = new Uint8Array(0);

/**
 * The DTLS 1.2 record format (RFC 6347 4.1): the 13-byte DTLSPlaintext/DTLSCiphertext header,
 * no connection ID, the payload protected as is, and the additional data of RFC 5246 6.2.3.3
 * as RFC 6347 4.1.2.1 amends it (epoch || sequence_number || type || version || length; the
 * same for ChaCha20-Poly1305, RFC 7905 2). Every epoch of a DTLS 1.2 connection without a
 * connection ID uses it, and epoch 0 always does.
 *
 * `version` is what the records it writes carry: {254, 253} (DTLS12_RECORD_FORMAT: every record
 * we send), or DTLS 1.0's {254, 255}, which the records of a client's first ClientHello may
 * carry (see accepts()). It reads records of either version.
 */
export function dtls12RecordFormat(version: number): RecordFormat {
  if (version !== DTLS_1_2_VERSION && version !== DTLS_1_0_VERSION) {
    throw new RangeError(`a DTLS 1.2 record carries version 0xfefd (or 0xfeff), not 0x${version.toString(16)}`);
  }
  const format: RecordFormat = {
    name: version === DTLS_1_2_VERSION ? 'dtls12' : `dtls12 (version 0x${version.toString(16)})`,
    version,
    headerLength: RECORD_HEADER_LENGTH,
    connectionId: NO_CONNECTION_ID,
    innerPlaintextExpansion: 0,

    // Every record of a DTLS 1.2 peer has this header, whatever its first byte: one with an
    // unknown content type is framed by its length and then dropped alone (RFC 6347 4.1.2.7),
    // so the records after it in the datagram are still read.
    frames(): boolean {
      return true;
    },

    frame(datagram: Uint8Array, offset: number): RawRecord | undefined {
      const header = decodeRecordHeader(datagram, offset);
      // RFC 5246 6.2.3: DTLSCiphertext.length MUST NOT exceed 2^14 + 2048.
      if (header === undefined || header.length > MAX_CIPHERTEXT_LENGTH) return undefined;
      const start = offset + RECORD_HEADER_LENGTH;
      const end = start + header.length;
      if (end > datagram.length) return undefined;
      return { header, fragment: viewOf(datagram, start, end), headerLength: RECORD_HEADER_LENGTH, format };
    },

    // RFC 6347 4.1: {254, 253}; a client's first ClientHello record may carry DTLS 1.0's {254, 255}.
    // RFC 6347 4.1.2.7: a record of an unknown content type is invalid.
    accepts(header: RecordHeader): boolean {
      return (header.version === DTLS_1_2_VERSION || header.version === DTLS_1_0_VERSION) && isRecordContentType(header.type);
    },

    encodeHeader(header: RecordHeader, out: Uint8Array, offset: number): void {
      encodeRecordHeader(header, out, offset);
    },

    additionalData(header: RecordHeader, plaintextLength: number, scratch?: Uint8Array): Uint8Array {
      return aeadAdditionalData(header.epoch, header.sequenceNumber, header.type, header.version, plaintextLength, scratch);
    },

    wireType(type: number): number {
      return type;
    },

    innerPlaintext(_type: number, payload: Uint8Array): Uint8Array {
      return payload;
    },

    openInnerPlaintext(wireType: number, plaintext: Uint8Array): InnerRecord {
      return { type: wireType, payload: plaintext };
    },
  };
  return format;
}

/** The DTLS 1.2 record format writing {254, 253}: every record we send. */
export const DTLS12_RECORD_FORMAT: RecordFormat = dtls12RecordFormat(DTLS_1_2_VERSION);
