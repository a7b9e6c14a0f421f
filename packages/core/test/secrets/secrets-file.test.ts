import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SecretsFileError } from '../../src/secrets/secrets-file-error.js';
import { formatSecretsFile, parseSecretsFile, SECRETS_FILE_FORMAT } from '../../src/secrets/secrets-file.js';
import { newSecrets, rotateSecrets } from '../../src/secrets/rotate-secrets.js';

const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const b64 = (n: number, fill = 1): string => Buffer.alloc(n, fill).toString('base64');

function fieldOf(text: string): string {
  try {
    parseSecretsFile(text, '/etc/dtls/secrets.json');
  } catch (error) {
    expect(error).toBeInstanceOf(SecretsFileError);
    const e = error as SecretsFileError;
    expect(e.message).toContain('/etc/dtls/secrets.json');
    return e.field;
  }
  throw new Error('parsed');
}

const good = { format: SECRETS_FILE_FORMAT, cookieSecret: b64(32), ticketKeys: [b64(48, 2), b64(48, 3)] };
const withField = (patch: Record<string, unknown>): string => JSON.stringify({ ...good, ...patch });

describe('the secrets file: format and validation', () => {
  it('round-trips what it writes', () => {
    const s = { ...newSecrets(random, 1_764_000_000_000), previousCookieSecret: random(32) };
    const parsed = parseSecretsFile(formatSecretsFile(s));
    expect(parsed).toEqual(s);
    expect(parseSecretsFile(JSON.stringify(good)).ticketKeys.map((k) => k[0])).toEqual([2, 3]);
  });

  it('names the field at fault, never quoting a secret', () => {
    expect(fieldOf(withField({ cookieSecret: b64(31) }))).toBe('cookieSecret');
    expect(fieldOf(withField({ cookieSecret: undefined }))).toBe('cookieSecret');
    expect(fieldOf(withField({ cookieSecret: 'not base64!' }))).toBe('cookieSecret');
    expect(fieldOf(withField({ previousCookieSecret: 7 }))).toBe('previousCookieSecret');
    expect(fieldOf(withField({ ticketKeys: [b64(48), b64(47)] }))).toBe('ticketKeys[1]');
    expect(fieldOf(withField({ ticketKeys: [b64(48, 9), b64(48, 9)] }))).toBe('ticketKeys[1]'); // the same key name twice
    expect(fieldOf(withField({ ticketKeys: [] }))).toBe('ticketKeys');
    expect(fieldOf(withField({ ticketKeys: Array.from({ length: 17 }, (_, i) => b64(48, i)) }))).toBe('ticketKeys');
    expect(fieldOf(withField({ ticketKeys: undefined }))).toBe('ticketKeys');
    expect(fieldOf(withField({ cookieSecretSince: -1 }))).toBe('cookieSecretSince');
    expect(fieldOf(withField({ format: 'dtls-kit-secrets/2' }))).toBe('format');
    expect(fieldOf(withField({ cookiesecret: b64(32) }))).toBe('cookiesecret'); // a typo is not ignored
    expect(fieldOf('[]')).toBe('');
    expect(fieldOf('')).toBe('');
    // Half-written: the JSON ends early. The message does not quote the file.
    const text = withField({});
    const half = text.slice(0, text.length / 2);
    expect(fieldOf(half)).toBe('');
    expect(() => parseSecretsFile(half)).toThrow(/not valid JSON/);
    expect(() => parseSecretsFile(half)).not.toThrow(new RegExp(good.cookieSecret.slice(0, 12).replace(/[+/]/g, '.')));
  });
});

describe('the secrets file: any text', () => {
  it('gives secrets or a SecretsFileError, nothing else (random text, random JSON, a good file cut anywhere)', () => {
    const text = formatSecretsFile(newSecrets(random, 1));
    const only = (t: string): void => {
      try {
        parseSecretsFile(t);
      } catch (error) {
        expect(error).toBeInstanceOf(SecretsFileError);
      }
    };
    fc.assert(fc.property(fc.string({ maxLength: 300 }), only), { numRuns: 500 });
    fc.assert(fc.property(fc.json({ maxDepth: 3 }), only), { numRuns: 500 });
    fc.assert(fc.property(fc.integer({ min: 0, max: text.length }), (n) => only(text.slice(0, n))), { numRuns: 200 });
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('format', 'cookieSecret', 'previousCookieSecret', 'cookieSecretSince', 'ticketKeys'), fc.jsonValue()), (d) =>
        only(JSON.stringify({ ...JSON.parse(text), ...d })),
      ),
      { numRuns: 500 },
    );
  });
});

describe('the rotation rule', () => {
  const T = 1_764_000_000_000;

  it('puts a new ticket key first and keeps at most `keep` older ones', () => {
    let s = newSecrets(random, T);
    const first = s.ticketKeys[0];
    for (let i = 1; i <= 3; i++) s = rotateSecrets(s, { random, now: T + i * 1000, keep: 2 }).secrets;
    expect(s.ticketKeys).toHaveLength(3);
    expect(s.ticketKeys).not.toContainEqual(first);
    const r = rotateSecrets(s, { random, now: T + 5000, keep: 2 });
    expect(r.ticketKeysDropped).toBe(1);
    expect(r.secrets.ticketKeys.slice(1)).toEqual(s.ticketKeys.slice(0, 2));
    expect(() => rotateSecrets(s, { random, now: T, keep: 16 })).toThrow(RangeError);
  });

  it('replaces the cookie secret only once the previous one had its grace period', () => {
    const s0 = newSecrets(random, T);
    const r1 = rotateSecrets(s0, { random, now: T + 1000, cookieGraceMs: 180_000 });
    // No previous secret yet: nothing in flight to protect.
    expect(r1.cookieRotated).toBe(true);
    expect(r1.secrets.previousCookieSecret).toEqual(s0.cookieSecret);
    const r2 = rotateSecrets(r1.secrets, { random, now: T + 60_000, cookieGraceMs: 180_000 });
    expect(r2.cookieRotated).toBe(false);
    expect(r2.secrets.cookieSecret).toEqual(r1.secrets.cookieSecret);
    expect(r2.secrets.previousCookieSecret).toEqual(s0.cookieSecret);
    const r3 = rotateSecrets(r2.secrets, { random, now: T + 1000 + 180_000, cookieGraceMs: 180_000 });
    expect(r3.cookieRotated).toBe(true);
    expect(r3.secrets.previousCookieSecret).toEqual(r1.secrets.cookieSecret);
  });
});
