import { constantTimeEqual, utf8 } from '../bytes.js';
import { Writer } from '../codec/writer.js';
import type { CryptoProvider } from '../crypto/provider.js';
import type { ClientHello } from '../handshake/messages/client-hello.js';

/** Cookie length in bytes: a whole HMAC-SHA-256 (RFC 6347 4.2.1 allows up to 255). */
export const COOKIE_LENGTH = 32;

/**
 * Stateless cookies (RFC 6347 4.2.1): Cookie = HMAC(Secret, Client-IP, Client-Parameters).
 * The secret rotates; a cookie made with the previous secret is still accepted, so a client
 * that got its HelloVerifyRequest just before a rotation is not turned away. The parameters
 * are those RFC 6347 requires a client to repeat unchanged: version, random, session_id,
 * cipher_suites and compression_methods.
 */
export class CookieJar {
  private current: Uint8Array;
  private previous: Uint8Array;
  private rotatedAt: number;

  constructor(
    private readonly provider: CryptoProvider,
    private readonly rotationMs: number,
    now: number,
  ) {
    this.current = provider.randomBytes(32);
    this.previous = provider.randomBytes(32);
    this.rotatedAt = now;
  }

  private rotate(now: number): void {
    if (now - this.rotatedAt < this.rotationMs) return;
    // More than two periods idle: both secrets are stale.
    this.previous = now - this.rotatedAt >= 2 * this.rotationMs ? this.provider.randomBytes(32) : this.current;
    this.current = this.provider.randomBytes(32);
    this.rotatedAt = now;
  }

  make(peer: string, hello: ClientHello, now: number): Uint8Array {
    this.rotate(now);
    return this.mac(this.current, peer, hello);
  }

  verify(peer: string, hello: ClientHello, now: number): boolean {
    this.rotate(now);
    if (hello.cookie.length !== COOKIE_LENGTH) return false;
    // Both compared, always, so the time taken does not tell which secret matched.
    const a = constantTimeEqual(hello.cookie, this.mac(this.current, peer, hello));
    const b = constantTimeEqual(hello.cookie, this.mac(this.previous, peer, hello));
    return a || b;
  }

  /**
   * A tag of `data` for `peer` under the current secret, `length` bytes of HMAC-SHA-256: the
   * DTLS 1.3 HelloRetryRequest cookie (hello-retry-cookie.ts) authenticates its contents with the
   * same secrets and rotation as the HelloVerifyRequest cookie.
   */
  sign(peer: string, data: Uint8Array, length: number, now: number): Uint8Array {
    this.rotate(now);
    return this.tag(this.current, peer, data, length);
  }

  /** Whether `tag` is sign()'s for `peer` and `data` under the current or the previous secret (constant time). */
  checkSigned(peer: string, data: Uint8Array, tag: Uint8Array, now: number): boolean {
    this.rotate(now);
    const a = constantTimeEqual(tag, this.tag(this.current, peer, data, tag.length));
    const b = constantTimeEqual(tag, this.tag(this.previous, peer, data, tag.length));
    return a || b;
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
