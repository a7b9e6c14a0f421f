/**
 * `--dtls1_3` / `--dtls1_2` (issue 17: the CLI takes them like openssl) on both sides, against
 * wolfSSL 5.5.4's example programs from its source root (1.3 PSK hard-coded: 0123456789abcdef four
 * times, identity Client_identity; its 1.3 client sends "Client_identitySHA256", the identity with
 * its suite's hash; 1.2 PSK 1a2b3c4d):
 *   ./examples/server/server -u -v 4 -s -p PORT -d -e -i                               (our client --dtls1_3)
 *   ./examples/server/server -u -v 4 -s -p PORT -d -e -i / -u -v 3 ...                 (our client --dtls1_2)
 *   ./examples/client/client -u -v 4 -l TLS13-AES128-GCM-SHA256 -s -h 127.0.0.1 -p PORT -d -x   (our server --dtls1_3, both runtimes)
 *   ./examples/client/client -u -v 3 -l PSK-AES128-GCM-SHA256 -s -h 127.0.0.1 -p PORT -d -x     (our server --dtls1_2 / --dtls1_3)
 */
import { WOLFSSL_CLIENT_MESSAGE, WOLFSSL_PSK_12, WOLFSSL_PSK_13, describePeerClient, runWolfsslClient, startWolfsslServer, wolfsslRoot } from '@dtls-kit/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll, runCli, startCliServer } from './helpers.js';

beforeAll(() => {
  wolfsslRoot();
}, 30 * 60_000);
afterAll(killAll);

/** Waits until `check` holds (the server's stderr lines come after the client's exit). */
async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check() && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('dtls-kit client --dtls1_3 / --dtls1_2', () => {
  it('dtls-kit client --dtls1_3 --psk ... talks DTLS 1.3 to wolfSSL and echoes', async () => {
    const server = await startWolfsslServer({ version: '1.3', psk: true });
    try {
      const r = await runCli(['client', '--dtls1_3', '--host', '127.0.0.1', '--port', String(server.port), '--psk', WOLFSSL_PSK_13, '--message', 'one over 1.3', '--message', 'two over 1.3']);
      expect(r.code, r.stderr + server.output()).toBe(0);
      expect(r.stdout).toBe('one over 1.3\ntwo over 1.3\n');
      expect(r.stderr).toMatch(/DTLSv1\.3 TLS_AES_128_GCM_SHA256/);
    } finally {
      await server.stop();
    }
  });

  it('--dtls1_2 talks DTLS 1.2 to a wolfSSL 1.2 server and refuses a 1.3-only one', async () => {
    const v12 = await startWolfsslServer({ version: '1.2', psk: true, cipher: 'PSK-AES128-GCM-SHA256' });
    try {
      const r = await runCli(['client', '--dtls1_2', '--host', '127.0.0.1', '--port', String(v12.port), '--psk', WOLFSSL_PSK_12, '--message', 'over 1.2']);
      expect(r.code, r.stderr + v12.output()).toBe(0);
      expect(r.stdout).toBe('over 1.2\n');
      expect(r.stderr).toMatch(/connected to \S+ DTLSv1\.2 /);
    } finally {
      await v12.stop();
    }
    const v13 = await startWolfsslServer({ version: '1.3', psk: true });
    try {
      const r = await runCli(['client', '--dtls1_2', '--host', '127.0.0.1', '--port', String(v13.port), '--psk', WOLFSSL_PSK_13, '--message', 'x', '--timeout', '3']);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/handshake with \S+ failed/);
    } finally {
      await v13.stop();
    }
  });

  it('--dtls1_3 with --dtls1_2 exits 2 (client and server)', async () => {
    for (const command of ['client', 'server']) {
      const both = await runCli([command, '--host', '127.0.0.1', '--dtls1_3', '--dtls1_2', '--psk', WOLFSSL_PSK_13, '--message', 'x'].filter((a) => command === 'client' || (a !== '--message' && a !== 'x')));
      expect(both.code).toBe(2);
      expect(both.stderr).toMatch(/--dtls1_3 and --dtls1_2 contradict each other/);
    }
  });
});

describe.each(['nonblocking', 'blocking'] as const)('dtls-kit server --dtls1_3 / --dtls1_2 --runtime %s', (runtime) => {
  it("--dtls1_3: wolfSSL's DTLS 1.3 client handshakes (stateless HelloRetryRequest) and gets its echo; its 1.2 client is refused", async () => {
    const server = await startCliServer(['--runtime', runtime, '--dtls1_3', '--psk', WOLFSSL_PSK_13, '--psk-identity', 'Client_identitySHA256']);
    try {
      const client = await runWolfsslClient({ version: '1.3', psk: true, cipher: 'TLS13-AES128-GCM-SHA256', port: server.port });
      expect(client.echoed, describePeerClient(client) + server.stderr()).toBe(true);
      expect(client.version).toBe('DTLSv1.3');
      await until(() => /connection \S+ DTLSv1\.3 TLS_AES_128_GCM_SHA256 identity="Client_identitySHA256"/.test(server.stderr()), 3000);
      expect(server.stderr()).toMatch(/connection \S+ DTLSv1\.3 TLS_AES_128_GCM_SHA256 identity="Client_identitySHA256"/);
      // A DTLS 1.2 client: the server accepts 1.3 only (RFC 8446 4.2.1: protocol_version).
      const old = await runWolfsslClient({ version: '1.2', psk: true, cipher: 'PSK-AES128-GCM-SHA256', port: server.port, timeoutMs: 4000 });
      expect(old.echoed, describePeerClient(old)).toBe(false);
      expect(old.version).toBeUndefined();
    } finally {
      await server.stop();
    }
  }, 30_000);

  it("--dtls1_2: wolfSSL's DTLS 1.2 client is served; its 1.3-only client is refused", async () => {
    const server = await startCliServer(['--runtime', runtime, '--dtls1_2', '--psk', WOLFSSL_PSK_12]);
    try {
      const client = await runWolfsslClient({ version: '1.2', psk: true, cipher: 'PSK-AES128-GCM-SHA256', port: server.port });
      expect(client.echoed, describePeerClient(client) + server.stderr()).toBe(true);
      expect(client.version).toBe('DTLSv1.2');
      const v13 = await runWolfsslClient({ version: '1.3', psk: true, cipher: 'TLS13-AES128-GCM-SHA256', port: server.port, timeoutMs: 4000 });
      expect(v13.echoed, describePeerClient(v13)).toBe(false);
      expect(v13.version).toBeUndefined();
      expect(client.stdout).toContain(WOLFSSL_CLIENT_MESSAGE);
    } finally {
      await server.stop();
    }
  }, 30_000);
});
