import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import { DecodeError } from '../../errors.js';
import { checkUint } from '../vectors.js';

/*
 * RFC 8446 4.2.10:
 *   struct {} Empty;
 *   struct {
 *     select (Handshake.msg_type) {
 *       case new_session_ticket:   uint32 max_early_data_size;
 *       case client_hello:         Empty;
 *       case encrypted_extensions: Empty;
 *     };
 *   } EarlyDataIndication;
 * dtls-kit sends no 0-RTT data: these are read so that an offer can be seen and refused.
 */

/** The ClientHello / EncryptedExtensions form: the extension_data must be empty. */
export function decodeEarlyDataIndication(data: Uint8Array): void {
  if (data.length !== 0) throw new DecodeError(`early_data: ${data.length} bytes where the extension is empty`);
}

/** The NewSessionTicket form: how many bytes of 0-RTT data the server would take. */
export function decodeEarlyDataTicket(data: Uint8Array): number {
  const r = new Reader(data, 'early_data');
  const max = r.u32('max_early_data_size');
  r.end();
  return max;
}

export function encodeEarlyDataTicket(maxEarlyDataSize: number): Uint8Array {
  return new Writer(4).u32(checkUint('max_early_data_size', maxEarlyDataSize, 0xffffffff)).finish();
}
