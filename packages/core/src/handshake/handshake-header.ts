import { Reader } from '../codec/reader.js';
import { Writer } from '../codec/writer.js';
import { DecodeError } from '../errors.js';
import { checkUint } from './vectors.js';

/** msg_type(1) length(3) message_seq(2) fragment_offset(3) fragment_length(3): RFC 6347 4.2.2. */
export const HANDSHAKE_HEADER_LENGTH = 12;

/**
 * One DTLS handshake fragment (RFC 6347 4.2.2):
 *
 *   struct {
 *     HandshakeType msg_type;
 *     uint24 length;
 *     uint16 message_seq;
 *     uint24 fragment_offset;
 *     uint24 fragment_length;
 *     select (HandshakeType) { ... } body;
 *   } Handshake;
 *
 * `length` is the length of the whole message, `body` the bytes of this fragment
 * (its length is fragment_length).
 */
export interface HandshakeFragment {
  msgType: number;
  length: number;
  messageSeq: number;
  fragmentOffset: number;
  body: Uint8Array;
}

/** Header and body of one fragment. Throws RangeError for values that do not fit the header. */
export function encodeHandshakeFragment(f: HandshakeFragment): Uint8Array {
  checkUint('handshake msg_type', f.msgType, 0xff);
  checkUint('handshake length', f.length, 0xffffff);
  checkUint('handshake message_seq', f.messageSeq, 0xffff);
  checkUint('handshake fragment_offset', f.fragmentOffset, 0xffffff);
  if (f.fragmentOffset + f.body.length > f.length) {
    throw new RangeError(
      `handshake fragment ${f.fragmentOffset}+${f.body.length} runs past the message length ${f.length}`,
    );
  }
  return new Writer(HANDSHAKE_HEADER_LENGTH + f.body.length)
    .u8(f.msgType)
    .u24(f.length)
    .u16(f.messageSeq)
    .u24(f.fragmentOffset)
    .u24(f.body.length)
    .bytes(f.body)
    .finish();
}

/**
 * Every handshake fragment in the payload of one handshake record (RFC 6347 4.2.3: a record
 * may carry several). Throws DecodeError on a truncated header or body, on
 * fragment_offset + fragment_length > length, and on an empty payload (RFC 5246 6.2.1:
 * zero-length fragments of the handshake content type MUST NOT be sent).
 */
export function decodeHandshakeFragments(recordPayload: Uint8Array): HandshakeFragment[] {
  if (recordPayload.length === 0) throw new DecodeError('handshake record: empty payload');
  const r = new Reader(recordPayload, 'handshake fragment');
  const out: HandshakeFragment[] = [];
  while (r.remaining > 0) {
    const msgType = r.u8('msg_type');
    const length = r.u24('length');
    const messageSeq = r.u16('message_seq');
    const fragmentOffset = r.u24('fragment_offset');
    const fragmentLength = r.u24('fragment_length');
    if (fragmentOffset + fragmentLength > length) {
      throw new DecodeError(
        `handshake fragment: offset ${fragmentOffset} + fragment_length ${fragmentLength} > length ${length}`,
      );
    }
    const body = r.take(fragmentLength, 'fragment body');
    out.push({ msgType, length, messageSeq, fragmentOffset, body });
  }
  return out;
}
