import { describe, expect, it } from 'vitest';
import { fromHex, utf8 } from '../../src/bytes.js';
import { DtlsConnection } from '../../src/connection.js';
import { CookieCheck } from '../../src/endpoint/cookie-check.js';
import type { PskClientCredentials, PskServerCredentials } from '../../src/key-exchange/psk-credentials.js';
import { resolveServerOptions } from '../../src/options.js';

const key = fromHex('000102030405060708090a0b0c0d0e0f');
const client: PskClientCredentials = { type: 'psk', resolve: () => ({ identity: utf8('Client_identity'), key }) };
const server: PskServerCredentials = { type: 'psk', identityHint: undefined, lookup: () => key };
const PEER = '127.0.0.1:5000';
const ROTATION = 60_000;
/** A wall-clock time in the middle of a rotation period. */
const T0 = 1_764_000_000_000 - (1_764_000_000_000 % ROTATION) + ROTATION / 2;

const secretA = new Uint8Array(32).fill(0xa5);
const secretB = new Uint8Array(32).fill(0x5a);

/** A client's first ClientHello and, given a HelloVerifyRequest, its retry with the cookie. */
function helloPair(check: CookieCheck, now: number, wallNow: number): { retry: Uint8Array } {
  const c = DtlsConnection.client({ maxVersion: 'DTLSv1.2', psk: client });
  c.connect(0);
  const [first] = c.datagramsToSend();
  if (first === undefined) throw new Error('no ClientHello');
  const r = check.verify(first, PEER, now, wallNow);
  if (r.type !== 'reply') throw new Error(`expected a HelloVerifyRequest, got ${r.type}`);
  c.receive(r.datagram, 1);
  const [retry] = c.datagramsToSend();
  if (retry === undefined) throw new Error('no ClientHello with the cookie');
  return { retry };
}

describe('a cookie secret shared by several processes (RFC 6347 4.2.1)', () => {
  it("verifies another process's cookie with the same secret, not without it", () => {
    // Two processes: different monotonic clocks (performance.now() starts at each process's start), one wall clock.
    const a = new CookieCheck({ maxVersion: 'DTLSv1.2', cookieSecret: secretA });
    const { retry } = helloPair(a, 5, T0);
    expect(new CookieCheck({ maxVersion: 'DTLSv1.2', cookieSecret: secretA }).verify(retry, PEER, 123_456, T0 + 10).type).toBe('verified');
    expect(new CookieCheck({ maxVersion: 'DTLSv1.2', cookieSecret: secretB }).verify(retry, PEER, 123_456, T0 + 10).type).toBe('reply');
    // Today's default, random secrets per process: B cannot verify A's cookie.
    expect(new CookieCheck({ maxVersion: 'DTLSv1.2' }).verify(retry, PEER, 123_456, T0 + 10).type).toBe('reply');
    // Still bound to the address.
    expect(new CookieCheck({ maxVersion: 'DTLSv1.2', cookieSecret: secretA }).verify(retry, '127.0.0.1:5001', 0, T0).type).toBe('reply');
  });

  it('keys rotate with the wall-clock period: the next and previous periods verify, two periods apart do not', () => {
    const { retry } = helloPair(new CookieCheck({ maxVersion: 'DTLSv1.2', cookieSecret: secretA, cookieRotationMs: ROTATION }), 0, T0);
    const at = (wall: number): string => new CookieCheck({ maxVersion: 'DTLSv1.2', cookieSecret: secretA, cookieRotationMs: ROTATION }).verify(retry, PEER, 0, wall).type;
    expect(at(T0 + ROTATION)).toBe('verified'); // a rotation between the HelloVerifyRequest and the retry
    expect(at(T0 - ROTATION)).toBe('verified'); // the verifying process's clock a period behind
    expect(at(T0 + 2 * ROTATION)).toBe('reply');
    expect(at(T0 - 2 * ROTATION)).toBe('reply');
  });

  it('setCookieSecrets(): the new secret makes cookies, the old one verifies for one more period', () => {
    const a = new CookieCheck({ maxVersion: 'DTLSv1.2', cookieSecret: secretA, cookieRotationMs: ROTATION });
    const { retry: old } = helloPair(a, 0, T0);
    a.setCookieSecrets([secretB], T0);
    expect(a.verify(old, PEER, 0, T0 + 10).type).toBe('verified');
    const { retry: fresh } = helloPair(a, 0, T0 + 20);
    expect(new CookieCheck({ maxVersion: 'DTLSv1.2', cookieSecret: secretB, cookieRotationMs: ROTATION }).verify(fresh, PEER, 0, T0 + 30).type).toBe('verified');
    // Past the grace period only secretB's own periods verify (the old secret's cookie is refused).
    expect(a.verify(old, PEER, 0, T0 + ROTATION + 1).type).toBe('reply');
    // A previous secret given with the new one stays accepted as long as it is given.
    const c = new CookieCheck({ maxVersion: 'DTLSv1.2', cookieSecret: secretB, cookieRotationMs: ROTATION });
    c.setCookieSecrets([secretB, secretA], T0);
    const { retry: fromA } = helloPair(new CookieCheck({ maxVersion: 'DTLSv1.2', cookieSecret: secretA, cookieRotationMs: ROTATION }), 0, T0 + 5 * ROTATION);
    expect(c.verify(fromA, PEER, 0, T0 + 5 * ROTATION).type).toBe('verified');
  });

  it('a server without a secret switches to a shared one at run time', () => {
    const a = new CookieCheck({ maxVersion: 'DTLSv1.2', cookieRotationMs: ROTATION });
    const { retry: random } = helloPair(a, 0, T0);
    a.setCookieSecrets([secretA], T0);
    expect(a.verify(random, PEER, 1, T0 + 1).type).toBe('verified');
    const { retry } = helloPair(a, 2, T0 + 2);
    expect(new CookieCheck({ maxVersion: 'DTLSv1.2', cookieSecret: secretA }).verify(retry, PEER, 0, T0 + 3).type).toBe('verified');
  });

  it('refuses a short or wrongly typed secret, at startup and at run time (and keeps the one in force)', () => {
    expect(() => new CookieCheck({ maxVersion: 'DTLSv1.2', cookieSecret: new Uint8Array(31) })).toThrow(/cookieSecret must be 32\.\.1024 bytes \(got 31\)/);
    expect(() => resolveServerOptions({ psk: server, cookieSecret: new Uint8Array(16) })).toThrow(RangeError);
    // @ts-expect-error: not bytes
    expect(() => resolveServerOptions({ psk: server, cookieSecret: 'secret' })).toThrow(TypeError);
    const a = new CookieCheck({ maxVersion: 'DTLSv1.2', cookieSecret: secretA });
    const { retry } = helloPair(a, 0, T0);
    expect(() => a.setCookieSecrets([new Uint8Array(8)], T0)).toThrow(RangeError);
    expect(a.verify(retry, PEER, 0, T0).type).toBe('verified');
  });

  it('the resolved option is a copy: changing the caller\'s buffer later changes nothing', () => {
    const secret = secretA.slice();
    const resolved = resolveServerOptions({ psk: server, cookieSecret: secret });
    secret.fill(0);
    expect(resolved.cookieSecret).toEqual(secretA);
  });
});
