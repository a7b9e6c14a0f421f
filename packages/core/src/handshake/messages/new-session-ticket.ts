import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import { checkUint, writeVector16 } from '../vectors.js';

/**
 * RFC 5077 3.3:
 *
 *   struct {
 *     uint32 ticket_lifetime_hint;
 *     opaque ticket<0..2^16-1>;
 *   } NewSessionTicket;
 *
 * The lifetime hint is in seconds; 0 means "unspecified". An empty ticket is how a server that
 * said it would send one (an empty session_ticket extension in its ServerHello) takes it back.
 */
export interface NewSessionTicket {
  lifetimeHint: number;
  ticket: Uint8Array;
}

export function encodeNewSessionTicket(m: NewSessionTicket): Uint8Array {
  const w = new Writer(6 + m.ticket.length);
  w.u32(checkUint('ticket_lifetime_hint', m.lifetimeHint, 0xffffffff));
  writeVector16(w, 'ticket', m.ticket);
  return w.finish();
}

/** DecodeError on a short or over-long body. */
export function decodeNewSessionTicket(body: Uint8Array): NewSessionTicket {
  const r = new Reader(body, 'NewSessionTicket');
  const lifetimeHint = r.u32('ticket_lifetime_hint');
  const ticket = r.vector16('ticket');
  r.end();
  return { lifetimeHint, ticket };
}
