/**
 * The built `dtls-kit` command against itself, OpenSSL and GnuTLS, as a user runs it.
 */
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gnutlsPriorityForSuite, runGnutlsClient, runOpensslClient, startGnutlsServer, startOpensslServer } from '@dtls-kit/test-kit';
import { createCA, createCertificate } from '@dtls-kit/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll, PSK, runCli, startCliServer } from './helpers.js';

// Whatever a failed test left running (not after each test: the argument tests run concurrently).
afterAll(killAll);

/** A CA, a server certificate (localhost, 127.0.0.1) and a client certificate, as PEM files. */
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dtls-kit-cli-'));
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

const CERT_SUITE = 'ECDHE-ECDSA-AES128-GCM-SHA256';

describe.concurrent('arguments', () => {
  it.each([
    [[], /missing command/],
    [['serve'], /unknown command "serve"/],
    [['server', '--bogus'], /Unknown option '--bogus'/],
    [['server'], /server needs credentials/],
    [['server', '--psk', 'xyz'], /--psk must be hex/],
    [['server', '--psk', PSK, '--cipher', 'NOPE-AES'], /unknown cipher suite: NOPE-AES/],
    [['server', '--psk', PSK, '--port', '70000'], /--port must be 0\.\.65535/],
    [['server', '--cert', 'a.pem'], /--cert and --key go together/],
    [['server', '--psk', PSK, '--message', 'x'], /--message is not an option of "server"/],
    [['client', '--port', '1'], /client needs --host/],
    [['client', '--host', '127.0.0.1', '--port', '1', '--psk', PSK, '--timeout', '0'], /--timeout must be a positive number/],
    [['client', '--host', '127.0.0.1', '--port', '1', '--psk', PSK, '--once'], /--once is not an option of "client"/],
    [['server', '--cert', '/nonexistent.pem', '--key', '/nonexistent.key'], /--cert: cannot read \/nonexistent\.pem: ENOENT/],
    // Options our DTLS 1.3 does not carry yet keep the default at 1.2; with --dtls1_3 they are a usage error.
    [['server', '--psk', PSK, '--dtls1_3', '--recordsize', '512'], /^dtls-kit: --recordsize needs DTLS 1\.2 \(dtls-kit's DTLS 1\.3 does not carry it yet\): drop --dtls1_3/],
    [['client', '--host', '127.0.0.1', '--port', '1', '--psk', PSK, '--dtls1_3', '--srtp', 'SRTP_AES128_CM_SHA1_80'], /^dtls-kit: --srtp needs DTLS 1\.2/],
  ])('%j exits 2 with one line', async (args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('--help prints the usage and exits 0', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('dtls-kit server');
    expect(r.stdout).toContain('Client_identity');
  });
});

describe.concurrent('dtls-kit server ↔ dtls-kit client', () => {
  it('PSK: messages are echoed, --once exits 0, --keylog and --trace write', async () => {
    const keylog = join(dir, 'keys.txt');
    const server = await startCliServer(['--psk', PSK, '--once', '--cipher', 'PSK-AES128-CCM8', '--trace']);
    const client = await runCli([
      'client', '--host', '127.0.0.1', '--port', String(server.port), '--psk', PSK,
      '--message', 'hello', '--message', 'wörld', '--message', 'third', '--keylog', keylog, '--trace',
      // The DTLS 1.2 ladder and CLIENT_RANDOM key log line (dtls13.test.ts, keylog13.test.ts: 1.3's).
      '--dtls1_2',
    ]);
    expect(client.stderr).toMatch(/connected to 127\.0\.0\.1:\d+ DTLSv1\.2 PSK-AES128-CCM8 identity="Client_identity"/);
    // The ladder: one line per message, arrows in their direction, then the handshake's end.
    expect(client.stderr).toMatch(/^trace\s+[\d.]+\s+ClientHello ─+▶$/m);
    expect(client.stderr).toMatch(/^trace\s+[\d.]+\s+◀─+ HelloVerifyRequest$/m);
    expect(client.stderr).toMatch(/^trace\s+[\d.]+\s+ClientHello \(with cookie\) ─+▶$/m);
    expect(client.stderr).toMatch(/^trace\s+[\d.]+\s+◀─+ Finished \(encrypted\)$/m);
    expect(client.stderr).toMatch(/^trace\s+[\d.]+\s+ApplicationData \(5 bytes\) ─+▶$/m);
    expect(client.stderr).toMatch(/trace .* client: handshake done in [\d.]+ ms: PSK-AES128-CCM8/);
    expect(client.stdout).toBe('hello\nwörld\nthird\n');
    expect(client.code).toBe(0);
    expect(await server.exited).toBe(0);
    expect(server.stderr()).toMatch(/connection 127\.0\.0\.1:\d+ DTLSv1\.2 PSK-AES128-CCM8 identity="Client_identity"/);
    expect(server.stderr()).toMatch(/close 127\.0\.0\.1:\d+ after 3 messages/);
    // The server's ladder: the same columns, each line ending with the peer's address.
    expect(server.stderr()).toMatch(/^trace\s+[\d.]+\s+◀─+ HelloVerifyRequest  127\.0\.0\.1:\d+$/m);
    expect(server.stderr()).toMatch(/^trace\s+[\d.]+\s+Finished \(encrypted\) ─+▶  127\.0\.0\.1:\d+$/m);
    expect(readFileSync(keylog, 'utf8')).toMatch(/^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}$/m);
  });

  it('PSK: stdin lines, a named identity and several clients at once', async () => {
    const server = await startCliServer(['--psk', PSK, '--psk-identity', 'device-7', '--psk-hint', 'site-1']);
    try {
      const clients = await Promise.all(
        [1, 2, 3].map((n) =>
          runCli(['client', '--host', '127.0.0.1', '--port', String(server.port), '--psk', PSK, '--psk-identity', 'device-7'], {
            input: `line ${n}.1\nline ${n}.2\n`,
          }),
        ),
      );
      clients.forEach((c, i) => {
        expect(c.code, c.stderr).toBe(0);
        expect(c.stdout).toBe(`line ${i + 1}.1\nline ${i + 1}.2\n`);
      });
      expect(server.stderr().match(/connection .* identity="device-7"/g)).toHaveLength(3);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('a wrong PSK fails the handshake: exit 1, the alert named', async () => {
    const server = await startCliServer(['--psk', PSK]);
    try {
      const client = await runCli(['client', '--host', '127.0.0.1', '--port', String(server.port), '--psk', 'ffff', '--message', 'x', '--timeout', '5']);
      expect(client.code).toBe(1);
      expect(client.stderr).toMatch(/handshake with 127\.0\.0\.1:\d+ failed: .*\[alert (bad_record_mac|decrypt_error)/);
      expect(client.stdout).toBe('');
      expect(server.stderr()).toMatch(/handshake failed 127\.0\.0\.1:\d+: (bad_record_mac|decrypt_error)/);
    } finally {
      await server.stop();
    }
  });

  // DTLS 1.3 (the default; --cipher names 1.2 suites only, as openssl's -cipher) and DTLS 1.2.
  it.each([
    ['DTLSv1.3', [], 'TLS_AES_128_GCM_SHA256'],
    ['DTLSv1.2', ['--dtls1_2'], 'ECDHE-ECDSA-AES128-GCM-SHA256'],
  ])('certificates with a client certificate (--verify), %s', async (version, flags, suite) => {
    const server = await startCliServer([
      '--cert', join(dir, 'server.crt'), '--key', join(dir, 'server.key'), '--ca', join(dir, 'ca.crt'), '--verify', '--once',
      '--cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256',
    ]);
    const client = await runCli([
      'client', '--host', '127.0.0.1', '--port', String(server.port), '--servername', 'localhost', '--ca', join(dir, 'ca.crt'),
      '--cert', join(dir, 'client.crt'), '--key', join(dir, 'client.key'), '--message', 'over certificates', ...flags,
    ]);
    expect(client.code, client.stderr).toBe(0);
    expect(client.stdout).toBe('over certificates\n');
    expect(client.stderr).toContain(`connected to 127.0.0.1:${server.port} ${version} ${suite} subject="CN=localhost"\n`);
    expect(await server.exited).toBe(0);
    expect(server.stderr()).toMatch(new RegExp(`connection .* ${version} ${suite} subject="CN=cli-client"`));
  });

  it('certificates: an untrusted server fails unless --insecure', async () => {
    const server = await startCliServer(['--cert', join(dir, 'server.crt'), '--key', join(dir, 'server.key')]);
    try {
      const port = String(server.port);
      const strict = await runCli(['client', '--host', '127.0.0.1', '--port', port, '--message', 'x', '--timeout', '5']);
      expect(strict.code).toBe(1);
      expect(strict.stderr).toMatch(/handshake with .* failed: .*\[alert (unknown_ca|bad_certificate)/);
      const insecure = await runCli(['client', '--host', '127.0.0.1', '--port', port, '--insecure', '--message', 'x']);
      expect(insecure.code, insecure.stderr).toBe(0);
      expect(insecure.stdout).toBe('x\n');
    } finally {
      await server.stop();
    }
  });
});

describe.concurrent('client exit codes', () => {
  // A port that never answers is no failed handshake and no alert: the reason is the silence.
  it('a handshake that does not finish within --timeout: exit 1, one line', async () => {
    const silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    try {
      const client = await runCli(['client', '--host', '127.0.0.1', '--port', String(silent.address().port), '--psk', PSK, '--message', 'x', '--timeout', '1']);
      expect(client.code).toBe(1);
      expect(client.stderr).toBe(`dtls-kit: no reply from 127.0.0.1:${silent.address().port} within 1000 ms\n`);
      expect(client.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      silent.close();
    }
  });

  it('replies missing after --timeout: close_notify, exit 0, a note', async () => {
    const server = await startOpensslServer({ cipher: 'PSK-AES128-CCM8', psk: PSK, identity: 'Client_identity', echo: false });
    try {
      const client = await runCli(['client', '--host', '127.0.0.1', '--port', String(server.port), '--psk', PSK, '--message', 'a', '--message', 'b', '--timeout', '1']);
      expect(client.code, client.stderr).toBe(0);
      expect(client.stdout).toBe('');
      expect(client.stderr).toMatch(/note: --timeout 1 s passed with 0 of 2 replies received; closing/);
      expect(server.output()).toMatch(/CONNECTION CLOSED|shutting down|DONE/i);
    } finally {
      await server.stop();
    }
  });
});

describe.concurrent('against OpenSSL', () => {
  it('openssl s_client -dtls1_2 ↔ dtls-kit server (PSK)', async () => {
    const server = await startCliServer(['--psk', PSK, '--once']);
    const result = await runOpensslClient({
      port: server.port,
      cipher: 'PSK-AES128-GCM-SHA256',
      psk: PSK,
      identity: 'Client_identity',
      messages: ['hello from openssl', 'second'],
    });
    expect(result.echoed, result.stdout + result.stderr).toBe(true);
    expect(result.cipher).toBe('PSK-AES128-GCM-SHA256');
    expect(await server.exited).toBe(0);
    expect(server.stderr()).toMatch(/connection .* PSK-AES128-GCM-SHA256 identity="Client_identity"/);
  });

  it('dtls-kit client ↔ openssl s_server -dtls1_2 -listen (PSK)', async () => {
    const server = await startOpensslServer({ cipher: 'PSK-AES128-CCM8', psk: PSK, identity: 'Client_identity' });
    try {
      const client = await runCli([
        'client', '--host', '127.0.0.1', '--port', String(server.port), '--psk', PSK,
        '--cipher', 'TLS_PSK_WITH_AES_128_CCM_8', '--message', 'one', '--message', 'two',
      ]);
      expect(client.code, client.stderr + server.output()).toBe(0);
      expect(client.stdout).toBe('one\ntwo\n');
      expect(client.stderr).toMatch(/PSK-AES128-CCM8/);
    } finally {
      await server.stop();
    }
  });
});

describe.concurrent('against OpenSSL, certificates', () => {
  it('openssl s_client -CAfile -verify_return_error ↔ dtls-kit server --cert --key', async () => {
    const server = await startCliServer(['--cert', join(dir, 'server.crt'), '--key', join(dir, 'server.key'), '--once']);
    const result = await runOpensslClient({
      port: server.port,
      cipher: CERT_SUITE,
      caFile: join(dir, 'ca.crt'),
      verifyHostname: 'localhost',
      messages: ['certified hello'],
    });
    expect(result.echoed, result.stdout + result.stderr).toBe(true);
    expect(result.cipher).toBe(CERT_SUITE);
    expect(result.stdout).toMatch(/Verify return code: 0 \(ok\)/);
    expect(await server.exited).toBe(0);
    expect(server.stderr()).toMatch(new RegExp(`connection .* ${CERT_SUITE} anonymous`));
  });

  it('dtls-kit client --ca ↔ openssl s_server -cert -key', async () => {
    const server = await startOpensslServer({ cipher: CERT_SUITE, cert: join(dir, 'server.crt'), key: join(dir, 'server.key') });
    try {
      const client = await runCli([
        'client', '--host', '127.0.0.1', '--port', String(server.port), '--servername', 'localhost', '--ca', join(dir, 'ca.crt'),
        '--message', 'to openssl', '--message', 'again',
      ]);
      expect(client.code, client.stderr + server.output()).toBe(0);
      expect(client.stdout).toBe('to openssl\nagain\n');
      expect(client.stderr).toMatch(new RegExp(`${CERT_SUITE} subject="CN=localhost"`));
    } finally {
      await server.stop();
    }
  });
});

describe.concurrent('against GnuTLS', () => {
  it('gnutls-cli --udp ↔ dtls-kit server (PSK-AES128-CCM8)', async () => {
    const server = await startCliServer(['--psk', PSK, '--once']);
    const result = await runGnutlsClient({
      port: server.port,
      priority: gnutlsPriorityForSuite('PSK-AES128-CCM8'),
      psk: PSK,
      identity: 'Client_identity',
      messages: ['hello from gnutls', 'second'],
    });
    expect(result.echoed, result.stdout + result.stderr).toBe(true);
    expect(result.description).toMatch(/PSK.*AES-128-CCM-8/);
    expect(await server.exited).toBe(0);
    expect(server.stderr()).toMatch(/connection .* PSK-AES128-CCM8 identity="Client_identity"/);
  });

  it('dtls-kit client ↔ gnutls-serv --udp --echo (PSK-AES128-CCM8)', async () => {
    const server = await startGnutlsServer({ priority: gnutlsPriorityForSuite('PSK-AES128-CCM8'), psk: PSK, identity: 'Client_identity' });
    try {
      const client = await runCli(['client', '--host', '127.0.0.1', '--port', String(server.port), '--psk', PSK, '--message', 'one', '--message', 'two']);
      expect(client.code, client.stderr + server.output()).toBe(0);
      expect(client.stdout).toBe('one\ntwo\n');
      expect(client.stderr).toMatch(/PSK-AES128-CCM8 identity="Client_identity"/);
    } finally {
      await server.stop();
    }
  });

  it(`gnutls-cli --x509cafile --verify-hostname localhost ↔ dtls-kit server (${CERT_SUITE})`, async () => {
    const server = await startCliServer(['--cert', join(dir, 'server.crt'), '--key', join(dir, 'server.key'), '--once']);
    const result = await runGnutlsClient({
      port: server.port,
      priority: gnutlsPriorityForSuite(CERT_SUITE),
      caFile: join(dir, 'ca.crt'),
      verifyHostname: 'localhost',
      messages: ['certified gnutls'],
    });
    expect(result.echoed, result.stdout + result.stderr).toBe(true);
    expect(result.description).toMatch(/ECDHE.*ECDSA.*AES-128-GCM/);
    expect(result.stdout).toMatch(/The certificate is trusted/);
    expect(await server.exited).toBe(0);
    expect(server.stderr()).toMatch(new RegExp(`connection .* ${CERT_SUITE}`));
  });

  it(`dtls-kit client --ca ↔ gnutls-serv --udp --echo (${CERT_SUITE})`, async () => {
    const server = await startGnutlsServer({
      priority: gnutlsPriorityForSuite(CERT_SUITE),
      cert: join(dir, 'server.crt'),
      key: join(dir, 'server.key'),
    });
    try {
      const client = await runCli([
        'client', '--host', '127.0.0.1', '--port', String(server.port), '--servername', 'localhost', '--ca', join(dir, 'ca.crt'),
        '--message', 'to gnutls',
      ]);
      expect(client.code, client.stderr + server.output()).toBe(0);
      expect(client.stdout).toBe('to gnutls\n');
      expect(client.stderr).toMatch(new RegExp(`${CERT_SUITE} subject="CN=localhost"`));
    } finally {
      await server.stop();
    }
  });
});
