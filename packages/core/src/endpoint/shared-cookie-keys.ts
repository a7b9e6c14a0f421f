import { bytesEqual, utf8 } from '../bytes.js';
import type { CryptoProvider } from '../crypto/provider.js';
import type { CookieKeys } from './cookie-keys.js';

/** The shortest shared cookie secret: 256 bits, the strength of the HMAC-SHA-256 it keys. */
export const MIN_COOKIE_SECRET_LENGTH = 32;
/** The longest accepted: a secret is key material, not a file (bounds what an option or file may make us hold). */
export const MAX_COOKIE_SECRET_LENGTH = 1024;

const LABEL = utf8('dtls-kit cookie');

/**
 * A copy of a shared cookie secret, checked: a Uint8Array of 32..1024 bytes. `name` is what the
 * error calls it ('cookieSecret', or a secrets file's field).
 */
export function checkCookieSecret(secret: unknown, name = 'cookieSecret'): Uint8Array {
  if (!(secret instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array (a Buffer) of at least ${MIN_COOKIE_SECRET_LENGTH} random bytes`);
  if (secret.length < MIN_COOKIE_SECRET_LENGTH || secret.length > MAX_COOKIE_SECRET_LENGTH) {
    throw new RangeError(`${name} must be ${MIN_COOKIE_SECRET_LENGTH}..${MAX_COOKIE_SECRET_LENGTH} bytes (got ${secret.length})`);
  }
  return secret.slice();
}

/**
 * Cookie keys that several processes agree on without talking (RFC 6347 4.2.1 with a shared
 * Secret): each rotation period's HMAC key is
 *
 *   HMAC-SHA-256(secret, "dtls-kit cookie" || uint64(period)),  period = floor(wall clock / rotationMs)
 *
 * so every process holding the secret makes and checks the same cookies, and keys still rotate
 * every period. A cookie verifies during the period it was made in, the next one (a rotation
 * between the HelloVerifyRequest and the retried ClientHello) and the previous one (another
 * process's clock up to one period ahead of ours). The first secret makes cookies; later ones (a
 * previous shared secret, during a rotation of the secret itself) are only accepted.
 */
export class SharedCookieKeys implements CookieKeys {
  private readonly secrets: readonly Uint8Array[];
  /** Derived keys of the periods in use, per secret (at most 4 periods each: bounded). */
  private readonly derived: Map<number, Uint8Array>[];

  constructor(
    private readonly provider: CryptoProvider,
    private readonly rotationMs: number,
    secrets: readonly Uint8Array[],
  ) {
    if (secrets.length === 0) throw new TypeError('SharedCookieKeys needs a secret');
    this.secrets = secrets.map((s, i) => checkCookieSecret(s, i === 0 ? 'cookieSecret' : 'previous cookie secret'));
    this.derived = this.secrets.map(() => new Map());
  }

  /** Whether these keys come from exactly these secrets (a reloaded file that did not change them). */
  sameSecrets(secrets: readonly Uint8Array[]): boolean {
    return secrets.length === this.secrets.length && secrets.every((s, i) => {
      const held = this.secrets[i];
      return held !== undefined && bytesEqual(s, held);
    });
  }

  current(_now: number, wallNow: number): Uint8Array {
    return this.key(0, this.period(wallNow));
  }

  accepted(_now: number, wallNow: number): readonly Uint8Array[] {
    const p = this.period(wallNow);
    const keys: Uint8Array[] = [];
    for (let i = 0; i < this.secrets.length; i++) keys.push(this.key(i, p), this.key(i, p - 1), this.key(i, p + 1));
    return keys;
  }

  private period(wallNow: number): number {
    return Math.floor(wallNow / this.rotationMs);
  }

  private key(index: number, period: number): Uint8Array {
    const cache = this.derived[index];
    const secret = this.secrets[index];
    if (cache === undefined || secret === undefined) throw new RangeError(`no cookie secret ${index}`);
    let key = cache.get(period);
    if (key === undefined) {
      const input = new Uint8Array(LABEL.length + 8);
      input.set(LABEL, 0);
      new DataView(input.buffer).setBigUint64(LABEL.length, BigInt(Math.max(0, period)));
      key = this.provider.hmac('sha256', secret, input);
      // Periods only move forward: the oldest derived key goes first.
      if (cache.size >= 4) {
        const oldest = Math.min(...cache.keys());
        cache.delete(oldest);
      }
      cache.set(period, key);
    }
    return key;
  }
}
