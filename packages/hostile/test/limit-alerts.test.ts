/**
 * Fail with a reason, not a timeout (issue 12, point 6), proven against OpenSSL 3: what our side
 * refuses at a limit reaches the OpenSSL peer as the RFC's alert, which OpenSSL prints
 * ("sslv3 alert illegal parameter ... SSL alert number 47"), instead of both sides waiting for
 * the handshake deadline.
 *
 * - openssl s_client with a 200-byte PSK identity against our server (maxPskIdentityLength 128):
 *   illegal_parameter (RFC 5246 7.2.2), the identity never looked up. A 128-byte identity (the
 *   RFC 4279 5.3 minimum) connects.
 * - our client (maxHandshakeMessageLength 512) against openssl s_server whose Certificate
 *   message (leaf + intermediate) is larger: illegal_parameter, as OpenSSL itself sends for an
 *   excessive message size.
 */
import { type DtlsError } from '@dtls-kit/core';
import { connect, createServer } from '@dtls-kit/nonblocking';
import { pskServer } from '@dtls-kit/psk';
import { x509Client } from '@dtls-kit/x509';
import { runOpensslClient, startOpensslServer } from '@dtls-kit/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CERT_SUITE, PSK_KEY, PSK_SUITE, makePki, type Pki } from './support/credentials.js';

let pki: Pki;
beforeAll(async () => {
  pki = await makePki();
});
afterAll(() => pki.remove());

const ALERT_47 = /alert illegal parameter.*SSL alert number 47/;

describe('a PSK identity over our limit, from openssl s_client', () => {
  it('200 bytes against maxPskIdentityLength 128: OpenSSL gets illegal_parameter at once; 128 bytes connect', async () => {
    const long = 'a'.repeat(200);
    const exact = 'b'.repeat(128);
    const looked: number[] = [];
    const keys = pskServer({ keys: { [long]: PSK_KEY, [exact]: PSK_KEY } });
    const errors: DtlsError[] = [];
    const server = createServer(
      {
        psk: { ...keys, lookup: (id: Uint8Array) => (looked.push(id.length), keys.lookup(id)) },
        cipherSuites: PSK_SUITE,
        maxPskIdentityLength: 128,
      },
      (s) => s.on('message', (m: Buffer) => s.send(m)),
    );
    server.on('clientError', (e) => errors.push(e));
    const { port } = await server.listen(0, '127.0.0.1');
    try {
      const refused = await runOpensslClient({ port, cipher: PSK_SUITE, psk: PSK_KEY, identity: long, messages: [], expectEcho: false, timeoutMs: 10_000 });
      const line = ALERT_47.exec(refused.stdout + refused.stderr)?.[0];
      console.log(`openssl s_client, 200-byte identity: "${line}" after ${Math.round(refused.durationMs)} ms; our server: ${errors[0]?.message}`);
      expect(line).toBeDefined();
      expect(refused.timedOut).toBe(false);
      expect(refused.durationMs).toBeLessThan(5_000);
      expect(errors.map((e) => e.alertName)).toEqual(['illegal_parameter']);
      expect(looked).toEqual([]);

      const accepted = await runOpensslClient({ port, cipher: PSK_SUITE, psk: PSK_KEY, identity: exact, messages: ['at the limit'], timeoutMs: 10_000 });
      expect(accepted.echoed, accepted.stdout + accepted.stderr).toBe(true);
      expect(looked).toEqual([128]);
    } finally {
      await server.close();
    }
  });
});

describe('a Certificate message over our limit, from openssl s_server', () => {
  it('our client with maxHandshakeMessageLength 512: OpenSSL gets illegal_parameter at once', async () => {
    const peer = await startOpensslServer({ cipher: CERT_SUITE, cert: pki.leafFile, key: pki.keyFile, extraArgs: ['-cert_chain', pki.intermediateFile], echo: false });
    try {
      const started = performance.now();
      const outcome = await connect({
        host: '127.0.0.1',
        port: peer.port,
        servername: 'localhost',
        cipherSuites: CERT_SUITE,
        x509: x509Client({ ca: pki.rootPem }),
        maxHandshakeMessageLength: 512,
        handshakeTimeoutMs: 20_000,
      }).then(
        (socket) => {
          socket.destroy();
          return undefined;
        },
        (e: unknown) => e,
      );
      const elapsed = performance.now() - started;
      expect(outcome).toBeInstanceOf(Error);
      const error = outcome instanceof Error ? outcome : undefined;
      // OpenSSL prints the alert it received on its error stream.
      let line: string | undefined;
      for (let i = 0; i < 50 && line === undefined; i++) {
        line = ALERT_47.exec(peer.output())?.[0];
        if (line === undefined) await new Promise((r) => setTimeout(r, 50));
      }
      console.log(`our client: ${error?.message} after ${Math.round(elapsed)} ms; openssl s_server: "${line}"`);
      expect(error?.message).toContain('exceeds maxHandshakeMessageLength (512)');
      expect(elapsed).toBeLessThan(5_000);
      expect(line).toBeDefined();
    } finally {
      await peer.stop();
    }
  });
});
