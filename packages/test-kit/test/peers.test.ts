/**
 * Proves the peer launchers by running real OpenSSL and GnuTLS against each other on
 * 127.0.0.1, for every PSK suite: the client's messages must come back echoed.
 * A missing binary fails these tests (it never skips them).
 */
import { createSocket } from 'node:dgram';
import { afterAll, describe, expect, it } from 'vitest';
import {
  OPENSSL_PSK_SUITES,
  gnutlsPriorityForSuite,
  runGnutlsClient,
  runOpensslClient,
  spawnPeer,
  startGnutlsServer,
  startOpensslServer,
  type ClientResult,
  type PeerServer,
} from '../src/index.js';

const PSK = '000102030405060708090a0b0c0d0e0f';
const IDENTITY = 'Client_identity';

const SUITES = OPENSSL_PSK_SUITES;

// gnutls-cli 3.7.9 segfaults right after a successful ECDHE-PSK handshake (peers.md).
const GNUTLS_CLIENT_BROKEN = new Set<string>(['ECDHE-PSK-CHACHA20-POLY1305']);

const servers: PeerServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

function describeFailure(server: PeerServer, client: ClientResult): string {
  return [
    `server: ${server.commandLine}`,
    server.output(),
    `client: code=${client.code} signal=${client.signal} timedOut=${client.timedOut}`,
    client.stdout,
    client.stderr,
  ].join('\n');
}

describe.concurrent('OpenSSL and GnuTLS peers echo over DTLS 1.2 PSK', () => {
  for (const suite of SUITES) {
    const messages = [`hello ${suite}`, `second line ${suite}`];

    it(`${suite}: openssl s_client -> openssl s_server`, async ({ expect }) => {
      const server = await startOpensslServer({ cipher: suite, psk: PSK, identity: IDENTITY });
      servers.push(server);
      const client = await runOpensslClient({ port: server.port, cipher: suite, psk: PSK, identity: IDENTITY, messages });
      const why = describeFailure(server, client);
      expect(client.echoed, why).toBe(true);
      expect(client.code, why).toBe(0);
      expect(client.cipher, why).toBe(suite);
      expect(server.stdout(), why).toContain(messages[1]);
      await server.stop();
    });

    it(`${suite}: openssl s_client -> gnutls-serv`, async ({ expect }) => {
      const server = await startGnutlsServer({ priority: gnutlsPriorityForSuite(suite), psk: PSK, identity: IDENTITY });
      servers.push(server);
      const client = await runOpensslClient({ port: server.port, cipher: suite, psk: PSK, identity: IDENTITY, messages });
      const why = describeFailure(server, client);
      expect(client.echoed, why).toBe(true);
      expect(client.code, why).toBe(0);
      expect(client.cipher, why).toBe(suite);
      await server.stop();
    });

    if (!GNUTLS_CLIENT_BROKEN.has(suite)) {
      it(`${suite}: gnutls-cli -> openssl s_server`, async ({ expect }) => {
        const server = await startOpensslServer({ cipher: suite, psk: PSK, identity: IDENTITY });
        servers.push(server);
        const client = await runGnutlsClient({
          port: server.port,
          priority: gnutlsPriorityForSuite(suite),
          psk: PSK,
          identity: IDENTITY,
          messages,
        });
        const why = describeFailure(server, client);
        expect(client.echoed, why).toBe(true);
        expect(client.code, why).toBe(0);
        expect(client.description, why).toMatch(/^\(DTLS1\.2-/);
        await server.stop();
      });
    }
  }
});

describe.concurrent('launcher failure modes', () => {
  it('a wrong PSK gives no echo and a failing client', async ({ expect }) => {
    const suite = 'PSK-AES128-CCM8';
    const server = await startOpensslServer({ cipher: suite, psk: PSK, identity: IDENTITY });
    servers.push(server);
    const client = await runOpensslClient({
      port: server.port,
      cipher: suite,
      psk: 'ff'.repeat(16),
      identity: IDENTITY,
      messages: ['never echoed'],
      // DTLS drops records that fail to decrypt, so the handshake just stalls.
      timeoutMs: 2000,
    });
    expect(client.echoed).toBe(false);
    expect(client.code).not.toBe(0);
    await server.stop();
  });

  it('the lifetime cap ends a forgotten peer', async ({ expect }) => {
    const server = await startOpensslServer({ cipher: 'PSK-AES128-CCM8', psk: PSK, identity: IDENTITY, maxLifetimeMs: 1000 });
    const started = performance.now();
    await server.exited;
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it('a missing binary throws a clear error', () => {
    expect(() => spawnPeer('dtls-kit-no-such-peer', [])).toThrow(/dtls-kit-no-such-peer not found on PATH/);
  });

  it('stop() kills the server, resolves exited and frees the port', async () => {
    const server = await startGnutlsServer({
      priority: gnutlsPriorityForSuite('PSK-AES128-CCM8'),
      psk: PSK,
      identity: IDENTITY,
    });
    await server.stop();
    // gnutls-serv catches SIGTERM and exits with 1; what matters is that it is gone.
    await server.exited;
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(server.port, '0.0.0.0', () => resolve());
    });
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  });
});

// Sanity: the module-level expect still works outside concurrent blocks.
expect(SUITES).toHaveLength(6);
