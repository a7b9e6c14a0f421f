import type { CryptoProvider } from '../crypto/provider.js';
import type { CookieKeys } from './cookie-keys.js';

/** Bytes of a random cookie secret: as long as the HMAC-SHA-256 output. */
const SECRET_LENGTH = 32;

/**
 * One process's cookie secrets (the default when no `cookieSecret` is given): random, replaced
 * every `rotationMs` on the caller's clock, the previous one still accepted for one period, so a
 * client that got its HelloVerifyRequest just before a rotation is not turned away (RFC 6347 4.2.1).
 * Only this process can verify its cookies.
 */
export class RandomCookieKeys implements CookieKeys {
  private currentKey: Uint8Array;
  private previousKey: Uint8Array;
  private rotatedAt: number;

  constructor(
    private readonly provider: CryptoProvider,
    private readonly rotationMs: number,
    now: number,
  ) {
    this.currentKey = provider.randomBytes(SECRET_LENGTH);
    this.previousKey = provider.randomBytes(SECRET_LENGTH);
    this.rotatedAt = now;
  }

  current(now: number): Uint8Array {
    this.rotate(now);
    return this.currentKey;
  }

  accepted(now: number): readonly Uint8Array[] {
    this.rotate(now);
    return [this.currentKey, this.previousKey];
  }

  private rotate(now: number): void {
    if (now - this.rotatedAt < this.rotationMs) return;
    // More than two periods idle: both secrets are stale.
    this.previousKey = now - this.rotatedAt >= 2 * this.rotationMs ? this.provider.randomBytes(SECRET_LENGTH) : this.currentKey;
    this.currentKey = this.provider.randomBytes(SECRET_LENGTH);
    this.rotatedAt = now;
  }
}
