/**
 * `dtls-kit server --runtime blocking` (@dtls-kit/blocking: each connection's echo loop in a
 * worker thread) against OpenSSL and against `dtls-kit client`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOpensslClient } from '@dtls-kit/test-kit';
import { createCA, createCertificate } from '@dtls-kit/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll, PSK, runCli, startCliServer } from './helpers.js';

afterAll(killAll);

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dtls-kit-cli-blocking-'));
  const ca = await createCA({ commonName: 'dtls-kit test CA' });
  const server = await createCertificate({ ca, commonName: 'localhost', subjectAltNames: ['localhost', '127.0.0.1'], usage: 'server' });
  const client = await createCertificate({ ca, commonName: 'cli-client', usage: 'client' });
  writeFileSync(join(dir, 'ca.crt'), ca.cert);
  writeFileSync(join(dir, 'server.crt'), server.cert);
  writeFileSync(join(dir, 'server.key'), server.key);
  writeFileSync(join(dir, 'client.crt'), client.cert);
  writeFileSync(join(dir, 'client.key'), client.key);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.concurrent('--runtime blocking: arguments', () => {
  it.each([
    [['server', '--runtime', 'threads', '--psk', PSK], /--runtime must be nonblocking or blocking, got "threads"/],
    [['server', '--runtime', 'blocking', '--psk', PSK, '--trace'], /--trace is not available with --runtime blocking/],
    [['server', '--runtime', 'blocking', '--psk', PSK, '--keylog', 'k.txt'], /--keylog is not available with --runtime blocking/],
    [['client', '--runtime', 'blocking', '--host', '127.0.0.1', '--port', '1', '--psk', PSK], /--runtime blocking is only available for "server"/],
    [['server', '--runtime', 'blocking', '--cert', '/nonexistent.pem', '--key', '/nonexistent.key'], /--cert: cannot read \/nonexistent\.pem: ENOENT/],
    [['server', '--psk', PSK, '--threads', '8'], /--threads needs --runtime blocking/],
    [['server', '--runtime', 'blocking', '--psk', PSK, '--threads', '0'], /--threads must be 1\.\.1024, got 0/],
    [['client', '--host', '127.0.0.1', '--port', '1', '--psk', PSK, '--threads', '2'], /--threads is not an option of "client"/],
  ])('%j exits 2 with one line', async (args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('--help documents --runtime blocking', async () => {
    const r = await runCli(['--help']);
    expect(r.stdout).toMatch(/--runtime NAME .*nonblocking .*\n.*blocking/);
  });
});

describe.concurrent('--runtime blocking: echo', () => {
  it('openssl s_client -dtls1_2 (PSK-AES128-CCM8) ↔ dtls-kit server --runtime blocking --psk --once', async () => {
    const server = await startCliServer(['--runtime', 'blocking', '--psk', PSK, '--once']);
    expect(server.stderr()).toMatch(/listening on 127\.0\.0\.1:\d+ \(--runtime blocking\) \(--once\)/);
    const result = await runOpensslClient({
      port: server.port,
      cipher: 'PSK-AES128-CCM8',
      psk: PSK,
      identity: 'Client_identity',
      messages: ['hello from openssl', 'second'],
    });
    expect(result.echoed, result.stdout + result.stderr).toBe(true);
    expect(result.cipher).toBe('PSK-AES128-CCM8');
    expect(await server.exited).toBe(0);
    expect(server.stderr()).toMatch(/connection 127\.0\.0\.1:\d+ DTLSv1\.2 PSK-AES128-CCM8 identity="Client_identity"/);
    expect(server.stderr()).toMatch(/close 127\.0\.0\.1:\d+ after \d+ messages?/);
  });

  // DTLS 1.3 (the default; --cipher names 1.2 suites only, as openssl's -cipher) and DTLS 1.2.
  it.each([
    ['DTLSv1.3', [], 'TLS_AES_128_GCM_SHA256'],
    ['DTLSv1.2', ['--dtls1_2'], 'ECDHE-ECDSA-AES128-GCM-SHA256'],
  ])('dtls-kit client ↔ dtls-kit server --runtime blocking (%s): certificates, a client certificate (--verify), --mtu', async (version, flags, suite) => {
    const server = await startCliServer([
      '--runtime', 'blocking', '--cert', join(dir, 'server.crt'), '--key', join(dir, 'server.key'), '--ca', join(dir, 'ca.crt'),
      '--verify', '--once', '--cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256', '--mtu', '600',
    ]);
    const client = await runCli([
      'client', '--host', '127.0.0.1', '--port', String(server.port), '--servername', 'localhost', '--ca', join(dir, 'ca.crt'),
      '--cert', join(dir, 'client.crt'), '--key', join(dir, 'client.key'), '--message', 'over certificates', '--message', 'in a worker', ...flags,
    ]);
    expect(client.code, client.stderr).toBe(0);
    expect(client.stdout).toBe('over certificates\nin a worker\n');
    expect(client.stderr).toContain(`connected to 127.0.0.1:${server.port} ${version} ${suite} subject="CN=localhost"\n`);
    expect(await server.exited).toBe(0);
    expect(server.stderr()).toMatch(new RegExp(`connection 127\\.0\\.0\\.1:\\d+ ${version} ${suite} subject="CN=cli-client"`));
    expect(server.stderr()).toMatch(/close 127\.0\.0\.1:\d+ after 2 messages/);
  });

  it('a client without a certificate is refused under --verify; the server goes on until SIGTERM', async () => {
    const server = await startCliServer([
      '--runtime', 'blocking', '--cert', join(dir, 'server.crt'), '--key', join(dir, 'server.key'), '--ca', join(dir, 'ca.crt'), '--verify',
    ]);
    try {
      const client = await runCli([
        'client', '--host', '127.0.0.1', '--port', String(server.port), '--servername', 'localhost', '--ca', join(dir, 'ca.crt'),
        '--message', 'x', '--timeout', '5',
      ]);
      expect(client.code).toBe(1);
      expect(server.stderr()).toMatch(/handshake failed 127\.0\.0\.1:\d+: /);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});
