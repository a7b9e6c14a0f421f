import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import { DecodeError } from '../../errors.js';
import type { Extension } from '../extensions/extension.js';
import { decodeExtensionBlock, encodeExtensionBlock } from '../extensions/extension.js';
import { checkLength, checkUint, writeVector16, writeVector8 } from '../vectors.js';

/*
 * RFC 8446 4.6.1:
 *   struct {
 *     uint32 ticket_lifetime;
 *     uint32 ticket_age_add;
 *     opaque ticket_nonce<0..255>;
 *     opaque ticket<1..2^16-1>;
 *     Extension extensions<0..2^16-2>;
 *   } NewSessionTicket;
 * "Servers MUST NOT use any value greater than 604800 seconds (7 days)"; "Clients MUST NOT cache
 * tickets for longer than 7 days, regardless of the ticket_lifetime": the decoder keeps the value
 * and the client caps it with MAX_TICKET_LIFETIME.
 */
export const MAX_TICKET_LIFETIME = 604800;

export interface NewSessionTicket13 {
  /** Seconds; 0 means discard at once. */
  lifetime: number;
  /** Added (mod 2^32) to the ticket age the client reports (4.2.11.1). */
  ageAdd: number;
  /** Feeds the resumption PSK derivation (4.6.1). */
  nonce: Uint8Array;
  ticket: Uint8Array;
  /** early_data (max_early_data_size) is the only one RFC 8446 defines here. */
  extensions: Extension[];
}

export function encodeNewSessionTicket13(m: NewSessionTicket13): Uint8Array {
  const w = new Writer(16 + m.nonce.length + m.ticket.length);
  w.u32(checkUint('ticket_lifetime', m.lifetime, MAX_TICKET_LIFETIME));
  w.u32(checkUint('ticket_age_add', m.ageAdd, 0xffffffff));
  writeVector8(w, 'ticket_nonce', m.nonce);
  writeVector16(w, 'ticket', m.ticket, 1, 0xffff);
  const block = encodeExtensionBlock(m.extensions);
  checkLength('extensions', block.length - 2, 0, 0xfffe);
  w.bytes(block);
  return w.finish();
}

/** DecodeError on any malformed field or trailing bytes (an empty ticket included). */
export function decodeNewSessionTicket13(body: Uint8Array): NewSessionTicket13 {
  const r = new Reader(body, 'NewSessionTicket');
  const lifetime = r.u32('ticket_lifetime');
  const ageAdd = r.u32('ticket_age_add');
  const nonce = r.vector8('ticket_nonce');
  const ticket = r.vector16('ticket', 1);
  const blockLength = r.remaining - 2;
  const extensions = decodeExtensionBlock(r);
  r.end();
  if (blockLength > 0xfffe) throw new DecodeError(`NewSessionTicket: extensions length ${blockLength} outside 0..65534`);
  return { lifetime, ageAdd, nonce, ticket, extensions };
}
