import { describe, expect, it } from 'vitest';
import { fromHex, utf8 } from '../../src/bytes.js';
import { DtlsConnection } from '../../src/connection.js';
import { CookieCheck } from '../../src/endpoint/cookie-check.js';
import { resolveServerOptions } from '../../src/options.js';
import type { PskClientCredentials, PskServerCredentials } from '../../src/key-exchange/psk-credentials.js';

const key = fromHex('000102030405060708090a0b0c0d0e0f');
const client: PskClientCredentials = { type: 'psk', resolve: () => ({ identity: utf8('Client_identity'), key }) };
const server: PskServerCredentials = { type: 'psk', identityHint: undefined, lookup: () => key };

describe('CookieCheck: the cookie exchange without credentials (RFC 6347 4.2.1)', () => {
  it('answers a ClientHello with a HelloVerifyRequest, verifies the retry, and the connection is built elsewhere', () => {
    // No credentials at all: a runtime that builds its connections in worker threads needs none here.
    const check = new CookieCheck({ maxVersion: 'DTLSv1.2', cookieRotationMs: 30_000 });
    const c = DtlsConnection.client({ maxVersion: 'DTLSv1.2', psk: client });
    c.connect(0);
    const [first] = c.datagramsToSend();
    if (first === undefined) throw new Error('no ClientHello');
    const r1 = check.verify(first, '127.0.0.1:5000', 0);
    expect(r1.type).toBe('reply');
    if (r1.type !== 'reply') return;
    c.receive(r1.datagram, 1);
    const [second] = c.datagramsToSend();
    if (second === undefined) throw new Error('no ClientHello with the cookie');
    // The cookie is bound to the peer's address: from elsewhere it does not verify.
    expect(check.verify(second, '127.0.0.1:5001', 1).type).toBe('reply');
    const r2 = check.verify(second, '127.0.0.1:5000', 1);
    expect(r2.type).toBe('verified');
    if (r2.type !== 'verified') return;
    const s = DtlsConnection.acceptVerified(resolveServerOptions({ psk: server }), r2.hello, 1);
    for (let now = 2; now < 10 && !(c.state === 'established' && s.state === 'established'); now++) {
      for (const d of s.datagramsToSend()) c.receive(d, now);
      for (const d of c.datagramsToSend()) s.receive(d, now);
    }
    expect(c.state).toBe('established');
    expect(s.state).toBe('established');
  });

  it('a DTLS 1.3 cookie exchange for options that allow only DTLS 1.2 (a worker with other options): internal_error saying so', () => {
    const check = new CookieCheck({ cookieRotationMs: 30_000 });
    const c = DtlsConnection.client({ psk: client });
    c.connect(0);
    const [first] = c.datagramsToSend();
    if (first === undefined) throw new Error('no ClientHello');
    const r1 = check.verify(first, '127.0.0.1:5000', 0);
    if (r1.type !== 'reply') throw new Error(`expected a HelloRetryRequest, got ${r1.type}`);
    c.receive(r1.datagram, 1);
    const [second] = c.datagramsToSend();
    if (second === undefined) throw new Error('no second ClientHello');
    const r2 = check.verify(second, '127.0.0.1:5000', 1);
    if (r2.type !== 'verified') throw new Error(`expected the cookie to verify, got ${r2.type}`);
    expect(r2.hello.dtls13).toBeDefined();
    const s = DtlsConnection.acceptVerified(resolveServerOptions({ psk: server, maxVersion: 'DTLSv1.2' }), r2.hello, 1);
    expect(s.state).toBe('closed');
    expect(s.error?.alertName).toBe('internal_error');
    expect(s.error?.message).toMatch(/the cookie exchange chose DTLS 1\.3, but this connection's options allow DTLS 1\.2 only/);
  });

  it('checks its rotation period', () => {
    expect(() => new CookieCheck({ maxVersion: 'DTLSv1.2', cookieRotationMs: 0 })).toThrow(RangeError);
    expect(() => new CookieCheck({ maxVersion: 'DTLSv1.2', cookieRotationMs: 1.5 })).toThrow(/cookieRotationMs must be an integer >= 1/);
  });
});
