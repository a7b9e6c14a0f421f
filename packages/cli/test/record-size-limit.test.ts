/**
 * `--recordsize N` (RFC 8449 record_size_limit, client and server) and `--maxfraglen N` (RFC 6066
 * max_fragment_length, client) on the built `dtls-kit` command, against OpenSSL and GnuTLS: the
 * negotiated limit shows on the connection line, and bounds what each side sends.
 */
import { gnutlsPriority, runGnutlsClient, startOpensslServer } from '@dtls-kit/test-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { killAll, PSK, runCli, startCliServer } from './helpers.js';

afterAll(killAll);

describe.concurrent('--recordsize and --maxfraglen arguments', () => {
  it.each([
    [['client', '--host', '127.0.0.1', '--psk', PSK, '--recordsize', '63'], /--recordsize must be 64\.\.16384 \(RFC 8449 record_size_limit\), got "63"/],
    [['server', '--psk', PSK, '--recordsize', '16385'], /--recordsize must be 64\.\.16384/],
    [['client', '--host', '127.0.0.1', '--psk', PSK, '--maxfraglen', '300'], /--maxfraglen must be 512, 1024, 2048 or 4096 \(RFC 6066 max_fragment_length\), got "300"/],
    [['server', '--psk', PSK, '--maxfraglen', '512'], /--maxfraglen is not an option of "server"/],
    [['client', '--host', '127.0.0.1', '--psk', PSK, '-maxfraglen', '512'], /--maxfraglen/],
  ])('%j exits 2 with one line', async (args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('--help documents both', async () => {
    const r = await runCli(['--help']);
    expect(r.stdout).toMatch(/dtls-kit server .*\[--recordsize N\]/s);
    expect(r.stdout).toMatch(/--recordsize N\s+record_size_limit \(RFC 8449\)/);
    expect(r.stdout).toMatch(/--maxfraglen N\s+\(client\) max_fragment_length \(RFC 6066\)/);
  });
});

describe('dtls-kit server ↔ dtls-kit client', () => {
  it('client --recordsize 256: the server shows the limits, echoes 256 bytes and says why it does not echo 300', async () => {
    const server = await startCliServer(['--psk', PSK, '--once', '--recordsize', '1000']);
    const client = await runCli([
      'client', '--host', '127.0.0.1', '--port', String(server.port), '--psk', PSK, '--recordsize', '256',
      '--message', 'x'.repeat(256), '--message', 'y'.repeat(300), '--timeout', '1',
    ]);
    expect(client.code, client.stderr).toBe(0);
    expect(client.stderr).toMatch(/^connected to 127\.0\.0\.1:\d+ .* record_size_limit=1000\/256$/m);
    expect(client.stdout).toBe(`${'x'.repeat(256)}\n`);
    expect(await server.exited).toBe(0);
    expect(server.stderr()).toMatch(/^connection 127\.0\.0\.1:\d+ .* record_size_limit=256\/1000$/m);
    expect(server.stderr()).toMatch(/not echoed to 127\.0\.0\.1:\d+: the message is 300 bytes: the peer accepts records of at most 256 bytes \(its record_size_limit\)/);
  });
});

describe('against OpenSSL and GnuTLS', () => {
  it('dtls-kit client --maxfraglen 512 to openssl s_server: 512 bytes echoed, 513 refused before sending', async () => {
    // openssl s_server -dtls1_2 -accept 127.0.0.1:PORT -listen -no_ticket -nocert -psk 0001..0f
    //   -psk_identity Client_identity -cipher PSK-AES128-GCM-SHA256 -quiet (stdout fed back to stdin: an echo)
    const server = await startOpensslServer({ cipher: 'PSK-AES128-GCM-SHA256', psk: PSK, identity: 'Client_identity' });
    try {
      const message = 'm'.repeat(512);
      const ok = await runCli(['client', '--host', '127.0.0.1', '--port', String(server.port), '--psk', PSK, '--maxfraglen', '512', '--message', message]);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stderr).toMatch(/^connected to 127\.0\.0\.1:\d+ DTLSv1\.2 PSK-AES128-GCM-SHA256 .* max_fragment_length=512$/m);
      expect(ok.stdout).toBe(`${message}\n`);
    } finally {
      await server.stop();
    }
    const again = await startOpensslServer({ cipher: 'PSK-AES128-GCM-SHA256', psk: PSK, identity: 'Client_identity' });
    try {
      const big = await runCli(['client', '--host', '127.0.0.1', '--port', String(again.port), '--psk', PSK, '--maxfraglen', '512', '--message', 'n'.repeat(513)]);
      console.log(`--maxfraglen 512, a 513-byte --message: ${big.stderr.trim().split('\n').at(-1) ?? ''}`);
      expect(big.stderr).toMatch(/--message 1 is 513 bytes: the peer accepts records of at most 512 bytes \(its max_fragment_length\)/);
      expect(again.stdout()).toBe('');
    } finally {
      await again.stop();
    }
  });

  it.each(['nonblocking', 'blocking'])('dtls-kit server --recordsize 600 (--runtime %s), gnutls-cli --recordsize 4096: 600 bytes come and go back, 601 are refused by GnuTLS', async (runtime) => {
    const server = await startCliServer(['--psk', PSK, '--once', '--recordsize', '600', '--runtime', runtime]);
    // gnutls-cli --udp -p PORT --priority 'NORMAL:-VERS-ALL:+VERS-DTLS1.2:-KX-ALL:+PSK:-CIPHER-ALL:+AES-128-GCM:-MAC-ALL:+AEAD'
    //   --pskusername Client_identity --pskkey 0001..0f --insecure --recordsize 4096 127.0.0.1
    const result = await runGnutlsClient({
      port: server.port,
      priority: gnutlsPriority('PSK', 'AES-128-GCM'),
      psk: PSK,
      identity: 'Client_identity',
      messages: ['f'.repeat(599), 'g'.repeat(600)],
      expectEcho: false,
      lingerMs: 1000,
      extraArgs: ['--recordsize', '4096'],
    });
    expect(result.stdout).toContain('f'.repeat(599));
    expect(result.stdout + result.stderr).toMatch(/The transmitted packet is too large/);
    expect(await server.exited).toBe(0);
    if (runtime === 'nonblocking') expect(server.stderr()).toMatch(/^connection 127\.0\.0\.1:\d+ DTLSv1\.2 .* record_size_limit=4096\/600$/m);
  });
});
