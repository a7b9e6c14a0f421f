import { DecodeError } from '../../errors.js';

/*
 * RFC 8446 4.5: struct {} EndOfEarlyData;
 * Sent by a client after its 0-RTT data. dtls-kit accepts no early data, so a server never
 * expects this message; the codec exists so that it is recognised (and refused by the state that
 * receives it) rather than misread. (RFC 9147 5.6 keeps it in DTLS 1.3.)
 */
export function encodeEndOfEarlyData(): Uint8Array {
  return new Uint8Array(0);
}

export function decodeEndOfEarlyData(body: Uint8Array): void {
  if (body.length !== 0) throw new DecodeError(`EndOfEarlyData: ${body.length} bytes in an empty message`);
}
