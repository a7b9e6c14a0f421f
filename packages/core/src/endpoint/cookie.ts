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
