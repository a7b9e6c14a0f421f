import { utf8 } from '../bytes.js';
import { Reader } from '../codec/reader.js';
import { Writer } from '../codec/writer.js';
import type { ClientHello } from '../handshake/messages/client-hello.js';
import { tls13CipherSuiteById } from '../suites/tls13-cipher-suites.js';
import type { CookieJar } from './cookie.js';

/**
 * What the stateless server must remember between its HelloRetryRequest and the second
 * ClientHello, carried by the client in the cookie (RFC 8446 4.2.2: "the server ... can store the
 * hash of the ClientHello in the cookie"; RFC 9147 5.1): enough to rebuild the HelloRetryRequest
 * and the transcript's message_hash (RFC 8446 4.4.1).
 */
export interface HelloRetryState {
  /** The suite the HelloRetryRequest named (RFC 8446 4.1.4: the ServerHello must repeat it). */
  readonly cipherSuite: number;
  /** The group the HelloRetryRequest asked a share for, if any. */
  readonly selectedGroup: number | undefined;
  /** Hash(ClientHello1) in transcript form, with the suite's hash. */
  readonly clientHello1Hash: Uint8Array;
}

/** Format byte: a cookie of another layout (or of a future one) never verifies. */
const FORMAT = 0x13;
/**
 * 128-bit tag (HMAC-SHA-256 truncated, RFC 2104 5): a cookie must fit a HelloRetryRequest no
 * larger than the smallest ClientHello (wolfSSL's without key share is 145 bytes), so every byte counts.
 */
const TAG_LENGTH = 16;
const LABEL = utf8('dtls-kit DTLS 1.3 HelloRetryRequest cookie');

/** The cookie's length for a suite whose hash gives `hashLength` bytes. */
export function helloRetryCookieLength(hashLength: number): number {
  return 1 + 2 + 2 + hashLength + TAG_LENGTH;
}

function statePart(s: HelloRetryState): Uint8Array {
  const w = new Writer(5 + s.clientHello1Hash.length);
  w.u8(FORMAT).u16(s.cipherSuite).u16(s.selectedGroup ?? 0).bytes(s.clientHello1Hash);
  return w.finish();
}

/**
 * What the tag covers besides the peer's address: the state, and the fields RFC 8446 4.1.2 says
 * the second ClientHello repeats unchanged ("the client MUST send the same ClientHello without
 * modification, except as follows"): random, legacy_session_id and cipher_suites. A cookie lifted
 * into another client's ClientHello (another random) therefore never verifies.
 */
function signedData(state: Uint8Array, hello: ClientHello): Uint8Array {
  const w = new Writer(LABEL.length + state.length + 32 + 33 + 2 + hello.cipherSuites.length * 2);
  w.bytes(LABEL).bytes(state).bytes(hello.random).vector8(hello.sessionId);
  w.u16(hello.cipherSuites.length);
  for (const s of hello.cipherSuites) w.u16(s);
  return w.finish();
}

/** The cookie for a HelloRetryRequest answering `hello` from `peer` (RFC 9147 5.1). */
export function makeHelloRetryCookie(jar: CookieJar, peer: string, hello: ClientHello, state: HelloRetryState, now: number, wallNow: number = now): Uint8Array {
  const part = statePart(state);
  const tag = jar.sign(peer, signedData(part, hello), TAG_LENGTH, now, wallNow);
  const out = new Uint8Array(part.length + TAG_LENGTH);
  out.set(part);
  out.set(tag, part.length);
  return out;
}

/**
 * The state in a second ClientHello's cookie, when the cookie is one of ours for this peer and
 * this client's handshake, made under a key the jar still accepts (so at most about two rotation
 * periods old); undefined otherwise: forged, altered, from another address or another
 * ClientHello, expired.
 */
export function openHelloRetryCookie(jar: CookieJar, peer: string, hello: ClientHello, cookie: Uint8Array, now: number, wallNow: number = now): HelloRetryState | undefined {
  if (cookie.length < 5 + TAG_LENGTH) return undefined;
  const r = new Reader(cookie, 'cookie');
  if (r.u8('format') !== FORMAT) return undefined;
  const cipherSuite = r.u16('cipher_suite');
  const group = r.u16('selected_group');
  const suite = tls13CipherSuiteById(cipherSuite);
  if (suite === undefined || cookie.length !== helloRetryCookieLength(suite.hash === 'sha384' ? 48 : 32)) return undefined;
  const part = cookie.subarray(0, cookie.length - TAG_LENGTH);
  if (!jar.checkSigned(peer, signedData(part, hello), cookie.subarray(part.length), now, wallNow)) return undefined;
  return { cipherSuite, selectedGroup: group === 0 ? undefined : group, clientHello1Hash: cookie.slice(5, part.length) };
}
