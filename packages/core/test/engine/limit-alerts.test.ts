/**
 * Fail with a reason, not a timeout (issue 12, point 6): what a connection refuses at a limit
 * ends the handshake with the RFC's alert, which the peer receives, instead of being dropped
 * while both sides wait for the deadline.
 *
 * - A handshake message longer than maxHandshakeMessageLength (a Certificate chain, say):
 *   illegal_parameter (RFC 5246 7.2.2 "a field in the handshake was out of range"; OpenSSL sends
 *   the same for an excessive message size).
 * - A PSK identity longer than maxPskIdentityLength (default 256; RFC 4279 5.3 requires 128 to
 *   work): illegal_parameter, and the identity is never looked up.
 *
 * The stateless endpoint stays silent before a cookie (answering would amplify): see
 * ../endpoint and README "Silent or alert".
 */
import { describe, expect, it } from 'vitest';
import { AlertDescription } from '../../src/alert.js';
import { utf8 } from '../../src/bytes.js';
import { expectLocalFailure, expectPeerFailure, Pair } from './harness.js';
import { clientPsk, PSK_KEY, serverPsk } from '../support/psk.js';
import { clientX509, serverX509 } from '../support/test-certificates.js';

const identity = (n: number): Uint8Array => utf8('i'.repeat(n));

/** A PSK handshake with a client identity of `length` bytes; the server knows that identity. */
async function pskWithIdentity(length: number, maxPskIdentityLength?: number, maxVersion: 'DTLSv1.2' | 'DTLSv1.3' = 'DTLSv1.2'): Promise<{ p: Pair; lookups: number }> {
  let lookups = 0;
  const p = new Pair({
    client: { psk: clientPsk(PSK_KEY, identity(length)), maxVersion },
    server: {
      maxVersion,
      psk: serverPsk((id) => {
        lookups++;
        return id.length === length ? PSK_KEY : undefined;
      }),
      ...(maxPskIdentityLength === undefined ? {} : { maxPskIdentityLength }),
    },
  });
  p.start();
  await p.run(60_000);
  return { p, lookups };
}

describe('a PSK identity over maxPskIdentityLength', () => {
  it('257 bytes (default limit 256): illegal_parameter at once, never looked up; 256 bytes connect', async () => {
    const refused = await pskWithIdentity(257);
    console.log(`257-byte identity: server ${refused.p.s.error?.message}; client told ${refused.p.client.error?.alertName}; virtual time ${refused.p.now} ms`);
    expectLocalFailure(refused.p.s, refused.p.serverEvents, AlertDescription.illegal_parameter);
    expectPeerFailure(refused.p.client, refused.p.clientEvents, AlertDescription.illegal_parameter);
    expect(refused.lookups).toBe(0);
    expect(refused.p.now).toBe(0);

    const accepted = await pskWithIdentity(256);
    expect(accepted.p.client.state).toBe('established');
    expect(accepted.lookups).toBe(1);
  });

  it('maxPskIdentityLength 128 (the RFC 4279 5.3 minimum): 128 bytes connect, 129 are refused', async () => {
    expect((await pskWithIdentity(128, 128)).p.s.state).toBe('established');
    const refused = await pskWithIdentity(129, 128);
    expectPeerFailure(refused.p.client, refused.p.clientEvents, AlertDescription.illegal_parameter);
    expect(refused.lookups).toBe(0);
  });

  it('DTLS 1.3: the same limit on the pre_shared_key identities (RFC 8446 4.2.11): 129 bytes refused unread, 128 connect', async () => {
    const accepted = await pskWithIdentity(128, 128, 'DTLSv1.3');
    expect(accepted.p.s.protocol).toBe('DTLSv1.3');
    expect(accepted.p.s.state).toBe('established');
    const refused = await pskWithIdentity(129, 128, 'DTLSv1.3');
    expectLocalFailure(refused.p.s, refused.p.serverEvents, AlertDescription.illegal_parameter);
    expectPeerFailure(refused.p.client, refused.p.clientEvents, AlertDescription.illegal_parameter);
    expect(refused.lookups).toBe(0);
  });

  it('refuses a limit below 128 or above 65535', () => {
    expect(() => new Pair({ server: { maxPskIdentityLength: 127 } })).toThrow(RangeError);
    expect(() => new Pair({ server: { maxPskIdentityLength: 65_536 } })).toThrow(RangeError);
  });
});

describe('a handshake message over maxHandshakeMessageLength', () => {
  const suite = 'ECDHE-ECDSA-AES128-GCM-SHA256';

  it("the server's Certificate over the client's limit (256): the client sends illegal_parameter, the server is told", async () => {
    const p = new Pair({
      client: { cipherSuites: suite, x509: clientX509(), servername: 'localhost', maxHandshakeMessageLength: 256 },
      server: { cipherSuites: suite, x509: serverX509('ecdsa') },
    });
    p.start();
    await p.run(60_000);
    console.log(`Certificate over 256 bytes: client ${p.client.error?.message}; server told ${p.s.error?.alertName}; virtual time ${p.now} ms`);
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.illegal_parameter);
    expect(p.client.error?.message).toContain('(type 11)');
    expectPeerFailure(p.s, p.serverEvents, AlertDescription.illegal_parameter);
    expect(p.now).toBe(0);
  });

  it("the client's Certificate over the server's limit (256): the server sends illegal_parameter, the client is told", async () => {
    const p = new Pair({
      client: { cipherSuites: suite, x509: clientX509({ cert: 'ecdsa' }), servername: 'localhost' },
      server: { cipherSuites: suite, x509: serverX509('ecdsa', { requestCert: true }), maxHandshakeMessageLength: 256 },
    });
    p.start();
    await p.run(60_000);
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.illegal_parameter);
    expect(p.s.error?.message).toContain('(type 11)');
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.illegal_parameter);
    expect(p.now).toBe(0);
  });
});
