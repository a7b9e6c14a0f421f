import { Reader } from '../codec/reader.js';
import { Writer } from '../codec/writer.js';
import { DecodeError } from '../errors.js';
import { MAX_TICKET_LIFETIME } from '../handshake/messages/new-session-ticket-13.js';
import { checkUint, writeVector16, writeVector24, writeVector8 } from '../handshake/vectors.js';

/** The first byte of a DTLS 1.3 session from getSession() (a DTLS 1.2 one starts with 0xd1). */
export const CLIENT_SESSION_13_FORMAT = 0xd3;

/**
 * What a DTLS 1.3 client keeps of one NewSessionTicket to resume with (RFC 8446 4.6.1, 2.2): the
 * ticket (the PSK identity it offers), the PSK derived from its nonce, the suite (its hash goes
 * with the PSK: 4.2.11), ticket_age_add and when the ticket arrived (the obfuscated age,
 * 4.2.11.1), its lifetime, and what the full handshake established that a resumed one does not
 * show again (the server's certificates, ALPN, SNI).
 */
export interface ClientSession13 {
  readonly suiteId: number;
  readonly psk: Uint8Array;
  readonly ticket: Uint8Array;
  readonly ageAdd: number;
  /** ticket_lifetime, seconds. */
  readonly lifetime: number;
  /** Wall-clock ms since 1970 when the ticket arrived. */
  readonly receivedAt: number;
  readonly alpnProtocol: string | undefined;
  readonly servername: string | undefined;
  readonly peerCertificates: readonly Uint8Array[];
  /**
   * The external PSK's identity the full handshake authenticated with (RFC 8446 4.2.11), which a
   * resumed connection reports as its own (pskIdentity), as a resumed DTLS 1.2 session does.
   * Written last, optional: a session written before it has none.
   */
  readonly pskIdentity?: Uint8Array | undefined;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function readText(r: Reader, field: string): string | undefined {
  const present = r.u8(`${field} present`);
  if (present > 1) throw new DecodeError(`session: ${field} present flag ${present}`);
  if (present === 0) return undefined;
  try {
    return decoder.decode(r.vector16(field));
  } catch (err) {
    if (err instanceof DecodeError) throw err;
    throw new DecodeError(`session: ${field} is not UTF-8`);
  }
}

function writeText(w: Writer, field: string, value: string | undefined): void {
  w.u8(value === undefined ? 0 : 1);
  if (value !== undefined) writeVector16(w, field, encoder.encode(value));
}

export function encodeClientSession13(s: ClientSession13): Uint8Array {
  const w = new Writer(256 + s.ticket.length);
  w.u8(CLIENT_SESSION_13_FORMAT);
  w.u16(checkUint('cipher_suite', s.suiteId, 0xffff));
  writeVector8(w, 'psk', s.psk, 32, 64);
  writeVector16(w, 'ticket', s.ticket, 1, 0xffff);
  w.u32(checkUint('ticket_age_add', s.ageAdd, 0xffffffff));
  w.u32(checkUint('ticket_lifetime', s.lifetime, 0xffffffff));
  if (!Number.isSafeInteger(s.receivedAt) || s.receivedAt < 0 || s.receivedAt > 0xffffffffffff) throw new RangeError(`session receivedAt ${s.receivedAt} is not a wall-clock time in ms`);
  w.u48(s.receivedAt);
  writeText(w, 'alpn_protocol', s.alpnProtocol);
  writeText(w, 'server_name', s.servername);
  const chain = new Writer(16);
  for (const c of s.peerCertificates) writeVector24(chain, 'certificate', c, 1);
  writeVector24(w, 'peer_certificates', chain.finish());
  w.u8(s.pskIdentity === undefined ? 0 : 1);
  if (s.pskIdentity !== undefined) writeVector16(w, 'psk_identity', s.pskIdentity);
  return w.finish();
}

/** DecodeError for bytes that are not a DTLS 1.3 session from getSession(). */
export function decodeClientSession13(bytes: Uint8Array): ClientSession13 {
  const r = new Reader(bytes, 'session');
  const format = r.u8('session format');
  if (format !== CLIENT_SESSION_13_FORMAT) throw new DecodeError('session: not a DTLS 1.3 session from getSession()');
  const suiteId = r.u16('cipher_suite');
  const psk = r.vector8('psk', 32, 64);
  const ticket = r.vector16('ticket', 1);
  const ageAdd = r.u32('ticket_age_add');
  const lifetime = r.u32('ticket_lifetime');
  const receivedAt = r.u48('received_at');
  const alpnProtocol = readText(r, 'alpn_protocol');
  const servername = readText(r, 'server_name');
  const chain = new Reader(r.vector24('peer_certificates'), 'session peer_certificates');
  const peerCertificates: Uint8Array[] = [];
  while (chain.remaining > 0) peerCertificates.push(chain.vector24('certificate', 1));
  const hasIdentity = r.remaining > 0 ? r.u8('psk_identity present') : 0;
  if (hasIdentity > 1) throw new DecodeError(`session: psk_identity present flag ${hasIdentity}`);
  const pskIdentity = hasIdentity === 1 ? r.vector16('psk_identity') : undefined;
  r.end();
  return { suiteId, psk, ticket, ageAdd, lifetime, receivedAt, alpnProtocol, servername, peerCertificates, pskIdentity };
}

/**
 * RFC 8446 4.6.1: "Clients MUST NOT cache tickets for longer than 7 days, regardless of the
 * ticket_lifetime"; a lifetime of 0 means the ticket is not to be used. A ticket from the future
 * by more than a minute (a clock that jumped) is not used either.
 */
export function ticketUsable13(s: ClientSession13, wallNow: number): boolean {
  const age = wallNow - s.receivedAt;
  return age >= -60_000 && age < Math.min(s.lifetime, MAX_TICKET_LIFETIME) * 1000;
}

/** RFC 8446 4.2.11.1: obfuscated_ticket_age = (age in ms + ticket_age_add) mod 2^32. */
export function obfuscatedTicketAge(s: ClientSession13, wallNow: number): number {
  const age = Math.max(0, Math.floor(wallNow - s.receivedAt));
  return (age + s.ageAdd) % 0x1_0000_0000;
}
