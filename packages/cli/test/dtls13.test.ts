/**
 * `dtls-kit client --dtls1_3` (issue 17: the CLI takes --dtls1_3/--dtls1_2 like openssl) against
 * wolfSSL 5.5.4's example server in DTLS 1.3, from its source root (1.3 PSK hard-coded:
 * 0123456789abcdef four times, identity Client_identity):
 *   ./examples/server/server -u -v 4 -s -p PORT -d -e -i
 */
import { WOLFSSL_PSK_13, startWolfsslServer, wolfsslRoot } from '@dtls-kit/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll, runCli } from './helpers.js';

beforeAll(() => {
  wolfsslRoot();
}, 30 * 60_000);
afterAll(killAll);

describe('--dtls1_3 / --dtls1_2', () => {
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

  it('--dtls1_3 with --dtls1_2 exits 2; so does --dtls1_3 on the server (client only, for now)', async () => {
    const both = await runCli(['client', '--host', '127.0.0.1', '--dtls1_3', '--dtls1_2', '--psk', WOLFSSL_PSK_13, '--message', 'x']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--dtls1_3 and --dtls1_2 contradict each other/);
    const server = await runCli(['server', '--dtls1_3', '--psk', WOLFSSL_PSK_13]);
    expect(server.code).toBe(2);
    expect(server.stderr).toMatch(/dtls1_3/);
  });
});
