import { Reader } from '../codec/reader.js';
import { Writer } from '../codec/writer.js';
import { DecodeError } from '../errors.js';
import { checkUint, writeVector16, writeVector24, writeVector8 } from '../handshake/vectors.js';

/** RFC 5246 8.1: the master secret is always 48 bytes. */
export const MASTER_SECRET_LENGTH = 48;

/** The first byte of every encoded state: a later layout gets another number and old bytes stay readable or are refused. */
const SESSION_STATE_FORMAT = 1;

/**
 * Record-protection choices that a resumed session must make again as the full handshake made
 * them (RFC 7366 3.1: "If a server receives an encrypt-then-MAC request extension from a client
 * and then selects a stream or AEAD cipher suite ... " / a resumed session keeps its EtM state).
 * A bit set, stored with the session; none is defined yet beyond the place for it.
 */
export const RecordProtection = {
  /** RFC 7366: encrypt_then_mac was negotiated (CBC suites). */
  encryptThenMac: 1,
} as const;

/**
 * What a full handshake agreed that a resumed one reuses (RFC 5246 7.4.1.2, 8.1): the session's
 * suite and master secret, and what RFC 7627 5.3, RFC 6066 3 and RFC 7301 require to stay equal
 * on resumption. It is what a server keeps in its session store or seals into a ticket (RFC 5077
 * 4), and what a client keeps behind getSession().
 */
export interface SessionState {
  readonly suiteId: number;
  readonly masterSecret: Uint8Array;
  /** RFC 7627: the master secret is an extended one; we resume no other (RFC 7627 5.3). */
  readonly extendedMasterSecret: boolean;
  /** RecordProtection bits negotiated by the full handshake. */
  readonly recordProtection: number;
  readonly alpnProtocol: string | undefined;
  readonly servername: string | undefined;
  readonly pskIdentity: Uint8Array | undefined;
  /** The peer's certificate chain (DER, leaf first) as the full handshake checked it. */
  readonly peerCertificates: readonly Uint8Array[];
  /**
   * Wall-clock time (ms since 1970, handed in by the runtime: never a monotonic clock) of the
   * full handshake, so a session's age means the same after a restart and in another process.
   */
  readonly issuedAt: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function optionalText(w: Writer, field: string, text: string | undefined, max: number): void {
  if (text === undefined) {
    w.u8(0);
    return;
  }
  w.u8(1);
  writeVector16(w, field, encoder.encode(text), 0, max);
}

function readOptionalText(r: Reader, field: string, max: number): string | undefined {
  const present = r.u8(`${field} present`);
  if (present === 0) return undefined;
  if (present !== 1) throw new DecodeError(`session: ${field} present flag ${present}`);
  try {
    return decoder.decode(r.vector16(field, 0, max));
  } catch (err) {
    if (err instanceof DecodeError) throw err;
    throw new DecodeError(`session: ${field} is not UTF-8`);
  }
}

/** Writes a session state (pure; the layout is ours, not on the wire of any RFC). */
export function writeSessionState(w: Writer, s: SessionState): void {
  w.u8(SESSION_STATE_FORMAT);
  w.u16(checkUint('cipher_suite', s.suiteId, 0xffff));
  w.u8(s.extendedMasterSecret ? 1 : 0);
  w.u8(checkUint('record_protection', s.recordProtection, 0xff));
  writeVector8(w, 'master_secret', s.masterSecret, MASTER_SECRET_LENGTH, MASTER_SECRET_LENGTH);
  optionalText(w, 'alpn_protocol', s.alpnProtocol, 255);
  optionalText(w, 'server_name', s.servername, 0xffff);
  w.u8(s.pskIdentity === undefined ? 0 : 1);
  if (s.pskIdentity !== undefined) writeVector16(w, 'psk_identity', s.pskIdentity);
  if (!Number.isSafeInteger(s.issuedAt) || s.issuedAt < 0 || s.issuedAt > 0xffffffffffff) throw new RangeError(`session issuedAt ${s.issuedAt} is not a wall-clock time in ms`);
  w.u48(s.issuedAt);
  const chain = new Writer(16);
  for (const c of s.peerCertificates) writeVector24(chain, 'certificate', c, 1);
  writeVector24(w, 'peer_certificates', chain.finish());
}

/** Reads what writeSessionState wrote; DecodeError for anything else. */
export function readSessionState(r: Reader): SessionState {
  const format = r.u8('session format');
  if (format !== SESSION_STATE_FORMAT) throw new DecodeError(`session: format ${format} is not ${SESSION_STATE_FORMAT}`);
  const suiteId = r.u16('cipher_suite');
  const ems = r.u8('extended_master_secret');
  if (ems > 1) throw new DecodeError(`session: extended_master_secret flag ${ems}`);
  const recordProtection = r.u8('record_protection');
  const masterSecret = r.vector8('master_secret', MASTER_SECRET_LENGTH, MASTER_SECRET_LENGTH);
  const alpnProtocol = readOptionalText(r, 'alpn_protocol', 255);
  const servername = readOptionalText(r, 'server_name', 0xffff);
  const hasPsk = r.u8('psk_identity present');
  if (hasPsk > 1) throw new DecodeError(`session: psk_identity present flag ${hasPsk}`);
  const pskIdentity = hasPsk === 1 ? r.vector16('psk_identity') : undefined;
  const issuedAt = r.u48('issued_at');
  const chain = new Reader(r.vector24('peer_certificates'), 'session peer_certificates');
  const peerCertificates: Uint8Array[] = [];
  while (chain.remaining > 0) peerCertificates.push(chain.vector24('certificate', 1));
  return { suiteId, masterSecret, extendedMasterSecret: ems === 1, recordProtection, alpnProtocol, servername, pskIdentity, peerCertificates, issuedAt };
}

export function encodeSessionState(s: SessionState): Uint8Array {
  const w = new Writer(128);
  writeSessionState(w, s);
  return w.finish();
}

export function decodeSessionState(bytes: Uint8Array): SessionState {
  const r = new Reader(bytes, 'session');
  const s = readSessionState(r);
  r.end();
  return s;
}

/**
 * Whether a session's age (by the wall clock) is within its lifetime. A session issued in the
 * future by more than a minute (a server whose clock jumped back, or a forged time) is not.
 */
export function sessionFresh(s: SessionState, wallNow: number, lifetimeMs: number): boolean {
  const age = wallNow - s.issuedAt;
  return age <= lifetimeMs && age >= -60_000;
}
