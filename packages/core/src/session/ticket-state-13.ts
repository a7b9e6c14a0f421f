import { Reader } from '../codec/reader.js';
import { Writer } from '../codec/writer.js';
import { DecodeError } from '../errors.js';
import { checkUint, writeVector16, writeVector24, writeVector8 } from '../handshake/vectors.js';

/**
 * The first byte of a DTLS 1.3 ticket's state. A DTLS 1.2 ticket (session-state.ts) starts with
 * 1, so neither version's ticket opens as the other's: the same ticket keys seal both.
 */
const TICKET_STATE_13_FORMAT = 0x13;

/**
 * What our DTLS 1.3 server seals into a NewSessionTicket's `ticket` (RFC 8446 4.6.1: the ticket
 * is opaque to the client; the server keeps in it what it needs to accept it later): the
 * resumption PSK of this ticket, the suite it was made under (4.2.11: "Any ticket MUST only be
 * resumed with a cipher suite that has the same KDF hash algorithm"), ticket_age_add (to undo the
 * client's obfuscation, 4.2.11.1), when it was issued and for how long, and what the resumed
 * connection reports again (ALPN, SNI, the client's certificates, the PSK identity it came from).
 */
export interface TicketState13 {
  readonly suiteId: number;
  readonly psk: Uint8Array;
  /**
   * The same PSK derived with the "tls13 " label prefix instead of RFC 9147 5.9's "dtls13": what
   * wolfSSL 5.5.4's client computes (src/tls13.c DeriveResumptionPSK), tried when `psk`'s binder
   * does not verify. Both come from this connection's resumption_master_secret alone.
   */
  readonly tls13LabelPsk: Uint8Array;
  readonly ageAdd: number;
  /** Wall-clock ms since 1970 at issue. */
  readonly issuedAt: number;
  /** ticket_lifetime, seconds (RFC 8446 4.6.1: at most 7 days). */
  readonly lifetime: number;
  readonly alpnProtocol: string | undefined;
  readonly servername: string | undefined;
  /** The external PSK identity of the full handshake, if it used one. */
  readonly pskIdentity: Uint8Array | undefined;
  /** The client's certificate chain as the full handshake checked it (DER, leaf first). */
  readonly peerCertificates: readonly Uint8Array[];
  /** Whether that chain was authorized then. */
  readonly authorized: boolean;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function writeOptional(w: Writer, field: string, bytes: Uint8Array | undefined): void {
  w.u8(bytes === undefined ? 0 : 1);
  if (bytes !== undefined) writeVector16(w, field, bytes);
}

function readOptional(r: Reader, field: string): Uint8Array | undefined {
  const present = r.u8(`${field} present`);
  if (present > 1) throw new DecodeError(`ticket: ${field} present flag ${present}`);
  return present === 1 ? r.vector16(field) : undefined;
}

function text(bytes: Uint8Array | undefined, field: string): string | undefined {
  if (bytes === undefined) return undefined;
  try {
    return decoder.decode(bytes);
  } catch {
    throw new DecodeError(`ticket: ${field} is not UTF-8`);
  }
}

/** Pure: the layout is ours, sealed by TicketKeySet (never on the wire in the clear). */
export function encodeTicketState13(s: TicketState13): Uint8Array {
  const w = new Writer(128);
  w.u8(TICKET_STATE_13_FORMAT);
  w.u16(checkUint('cipher_suite', s.suiteId, 0xffff));
  writeVector8(w, 'psk', s.psk, 32, 64);
  writeVector8(w, 'tls13_label_psk', s.tls13LabelPsk, 32, 64);
  w.u32(checkUint('ticket_age_add', s.ageAdd, 0xffffffff));
  if (!Number.isSafeInteger(s.issuedAt) || s.issuedAt < 0 || s.issuedAt > 0xffffffffffff) throw new RangeError(`ticket issuedAt ${s.issuedAt} is not a wall-clock time in ms`);
  w.u48(s.issuedAt);
  w.u32(checkUint('ticket_lifetime', s.lifetime, 0xffffffff));
  writeOptional(w, 'alpn_protocol', s.alpnProtocol === undefined ? undefined : encoder.encode(s.alpnProtocol));
  writeOptional(w, 'server_name', s.servername === undefined ? undefined : encoder.encode(s.servername));
  writeOptional(w, 'psk_identity', s.pskIdentity);
  w.u8(s.authorized ? 1 : 0);
  const chain = new Writer(16);
  for (const c of s.peerCertificates) writeVector24(chain, 'certificate', c, 1);
  writeVector24(w, 'peer_certificates', chain.finish());
  return w.finish();
}

/** DecodeError for anything encodeTicketState13 did not write (a DTLS 1.2 ticket's state included). */
export function decodeTicketState13(bytes: Uint8Array): TicketState13 {
  const r = new Reader(bytes, 'ticket');
  const format = r.u8('ticket format');
  if (format !== TICKET_STATE_13_FORMAT) throw new DecodeError(`ticket: format ${format} is not a DTLS 1.3 ticket's`);
  const suiteId = r.u16('cipher_suite');
  const psk = r.vector8('psk', 32, 64);
  const tls13LabelPsk = r.vector8('tls13_label_psk', 32, 64);
  const ageAdd = r.u32('ticket_age_add');
  const issuedAt = r.u48('issued_at');
  const lifetime = r.u32('ticket_lifetime');
  const alpnProtocol = text(readOptional(r, 'alpn_protocol'), 'alpn_protocol');
  const servername = text(readOptional(r, 'server_name'), 'server_name');
  const pskIdentity = readOptional(r, 'psk_identity');
  const authorized = r.u8('authorized');
  if (authorized > 1) throw new DecodeError(`ticket: authorized flag ${authorized}`);
  const chain = new Reader(r.vector24('peer_certificates'), 'ticket peer_certificates');
  const peerCertificates: Uint8Array[] = [];
  while (chain.remaining > 0) peerCertificates.push(chain.vector24('certificate', 1));
  r.end();
  return { suiteId, psk, tls13LabelPsk, ageAdd, issuedAt, lifetime, alpnProtocol, servername, pskIdentity, peerCertificates, authorized: authorized === 1 };
}
