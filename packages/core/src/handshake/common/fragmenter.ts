import type { HandshakeFragment } from '../handshake-header.js';
import { checkUint } from '../vectors.js';

/**
 * Splits one handshake message into fragments of at most `maxFragmentBody` body bytes
 * (RFC 6347 4.2.3), in order, each carrying the whole message's length and message_seq.
 * An empty body gives one fragment of length 0. Fragment bodies are views into `body`
 * (no copy). Throws RangeError when maxFragmentBody < 1 or a value does not fit the header.
 */
export function fragmentMessage(
  msgType: number,
  messageSeq: number,
  body: Uint8Array,
  maxFragmentBody: number,
): HandshakeFragment[] {
  checkUint('msg_type', msgType, 0xff);
  checkUint('message_seq', messageSeq, 0xffff);
  checkUint('handshake length', body.length, 0xffffff);
  if (!Number.isInteger(maxFragmentBody) || maxFragmentBody < 1) {
    throw new RangeError(`maxFragmentBody must be a positive integer, got ${maxFragmentBody}`);
  }
  const length = body.length;
  if (length === 0) return [{ msgType, length, messageSeq, fragmentOffset: 0, body }];
  const out: HandshakeFragment[] = [];
  for (let offset = 0; offset < length; offset += maxFragmentBody) {
    out.push({
      msgType,
      length,
      messageSeq,
      fragmentOffset: offset,
      body: body.subarray(offset, Math.min(length, offset + maxFragmentBody)),
    });
  }
  return out;
}
