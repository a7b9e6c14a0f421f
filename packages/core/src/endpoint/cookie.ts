import { constantTimeEqual, utf8 } from '../bytes.js';
import { Writer } from '../codec/writer.js';
import type { CryptoProvider } from '../crypto/provider.js';
import type { ClientHello } from '../handshake/messages/client-hello.js';
import type { CookieKeys } from './cookie-keys.js';

/** Cookie length in bytes: a whole HMAC-SHA-256 (RFC 6347 4.2.1 allows up to 255). */
export const COOKIE_LENGTH = 32;

/** Key sources replaced at run time that still verify for a while: at most this many (bounded). */
const MAX_RETIRED = 2;

/**
 * Stateless cookies (RFC 6347 4.2.1): Cookie = HMAC(Secret, Client-IP, Client-Parameters).
 * The keys come from a CookieKeys source (random per process, or derived from a shared secret),
 * which rotates them and keeps the previous ones valid for a while, so a client that got its
 * HelloVerifyRequest just before a rotation is not turned away. The parameters are those RFC
 * 6347 requires a client to repeat unchanged: version, random, session_id, cipher_suites and
 * compression_methods.
 */
export class CookieJar {
  /** Sources replaced by replaceKeys(), still accepted until `until` (wall clock). */
  private retired: { readonly keys: CookieKeys; readonly until: number }[] = [];

  constructor(
    private readonly provider: CryptoProvider,
    private keys: CookieKeys,
  ) {}

  /**
   * A new key source (a new shared secret): it makes cookies from now on; the cookies of the old
   * one still verify until `wallNow + graceMs`, so a rotation of the secret turns no client away.
   */
  replaceKeys(keys: CookieKeys, wallNow: number, graceMs: number): void {
    this.retired = this.retired.filter((r) => r.until > wallNow);
    this.retired.push({ keys: this.keys, until: wallNow + graceMs });
    if (this.retired.length > MAX_RETIRED) this.retired.shift();
    this.keys = keys;
  }

  /** The source that makes cookies now. */
  get source(): CookieKeys {
    return this.keys;
  }

  make(peer: string, hello: ClientHello, now: number, wallNow: number = now): Uint8Array {
    return this.mac(this.keys.current(now, wallNow), peer, hello);
  }

  verify(peer: string, hello: ClientHello, now: number, wallNow: number = now): boolean {
    if (hello.cookie.length !== COOKIE_LENGTH) return false;
    const keys = [...this.keys.accepted(now, wallNow)];
    for (const r of this.retired) if (r.until > wallNow) keys.push(...r.keys.accepted(now, wallNow));
    // Every key compared, always, so the time taken does not tell which one matched.
    let ok = false;
    for (const key of keys) ok = constantTimeEqual(hello.cookie, this.mac(key, peer, hello)) || ok;
    return ok;
  }

  /**
   * A tag of `data` for `peer` under the current key, `length` bytes of HMAC-SHA-256: the
   * DTLS 1.3 HelloRetryRequest cookie (hello-retry-cookie.ts) authenticates its contents with the
   * same secrets and rotation as the HelloVerifyRequest cookie.
   */
  sign(peer: string, data: Uint8Array, length: number, now: number, wallNow: number = now): Uint8Array {
    return this.tag(this.keys.current(now, wallNow), peer, data, length);
  }

  /** Whether `tag` is sign()'s for `peer` and `data` under a key verify() accepts now (every one compared: constant time). */
  checkSigned(peer: string, data: Uint8Array, tag: Uint8Array, now: number, wallNow: number = now): boolean {
    const keys = [...this.keys.accepted(now, wallNow)];
    for (const r of this.retired) if (r.until > wallNow) keys.push(...r.keys.accepted(now, wallNow));
    let ok = false;
    for (const key of keys) ok = constantTimeEqual(tag, this.tag(key, peer, data, tag.length)) || ok;
    return ok;
  }

  private tag(secret: Uint8Array, peer: string, data: Uint8Array, length: number): Uint8Array {
    const address = utf8(peer).subarray(0, 255);
    const w = new Writer(1 + address.length + data.length);
    w.vector8(address).bytes(data);
    return this.provider.hmac('sha256', secret, w.finish()).subarray(0, length);
  }

  private mac(secret: Uint8Array, peer: string, hello: ClientHello): Uint8Array {
    // ~60 bytes for an IPv4 peer: kept within 64, the size V8 allocates on its heap (writer.ts).
    const w = new Writer(64);
    w.vector8(utf8(peer).subarray(0, 255));
    w.u16(hello.clientVersion).bytes(hello.random).vector8(hello.sessionId);
    w.u16(hello.cipherSuites.length);
    for (const s of hello.cipherSuites) w.u16(s);
    w.u8(hello.compressionMethods.length);
    for (const c of hello.compressionMethods) w.u8(c);
    return this.provider.hmac('sha256', secret, w.finish()).subarray(0, COOKIE_LENGTH);
  }
}
