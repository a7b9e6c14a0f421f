import { Reader } from '../codec/reader.js';
import { Writer } from '../codec/writer.js';
import { DecodeError } from '../errors.js';
import { MAX_SESSION_ID_LENGTH } from '../handshake/messages/client-hello.js';
import { checkUint, writeVector16, writeVector8 } from '../handshake/vectors.js';
import { readSessionState, type SessionState, writeSessionState } from './session-state.js';

/** The first byte of a serialized client session (getSession()). */
const CLIENT_SESSION_FORMAT = 0xd1;

/**
 * What a client keeps to resume (node:tls `getSession()` / `connect({ session })`): the session
 * ID the server gave (RFC 5246 7.4.1.3), or its ticket (RFC 5077 3.3), or both, and the state.
 */
export interface ClientSession {
  readonly sessionId: Uint8Array;
  readonly ticket: Uint8Array;
  /** RFC 5077 3.3 ticket_lifetime_hint, seconds (0: unspecified). */
  readonly ticketLifetimeHint: number;
  readonly state: SessionState;
}

export function encodeClientSession(s: ClientSession): Uint8Array {
  const w = new Writer(192 + s.ticket.length);
  w.u8(CLIENT_SESSION_FORMAT);
  writeVector8(w, 'session_id', s.sessionId, 0, MAX_SESSION_ID_LENGTH);
  writeVector16(w, 'ticket', s.ticket);
  w.u32(checkUint('ticket_lifetime_hint', s.ticketLifetimeHint, 0xffffffff));
  writeSessionState(w, s.state);
  return w.finish();
}

/** DecodeError for bytes that getSession() did not make. */
export function decodeClientSession(bytes: Uint8Array): ClientSession {
  const r = new Reader(bytes, 'session');
  const format = r.u8('session format');
  if (format !== CLIENT_SESSION_FORMAT) throw new DecodeError('session: not a session from getSession()');
  const sessionId = r.vector8('session_id', 0, MAX_SESSION_ID_LENGTH);
  const ticket = r.vector16('ticket');
  const ticketLifetimeHint = r.u32('ticket_lifetime_hint');
  const state = readSessionState(r);
  r.end();
  return { sessionId, ticket, ticketLifetimeHint, state };
}
