/**
 * Client-side errors carry hints (issue 14), against our own server and OpenSSL's s_server:
 * a wrong PSK, a CertificateRequest without a client certificate, a server chain without its
 * intermediate.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOpensslServer } from '@dtls-kit/test-kit';
import { createCA, createCertificate } from '@dtls-kit/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll, PSK, runCli, startCliServer } from './helpers.js';

afterAll(killAll);

const SUITE = 'ECDHE-ECDSA-AES128-GCM-SHA256';
const WRONG_PSK = 'ffffffffffffffffffffffffffffffff';
let dir: string;
const file = (name: string): string => join(dir, name);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dtls-kit-hints-'));
  const root = await createCA({ commonName: 'Hints Root CA' });
  const intermediate = await createCA({ commonName: 'Hints Intermediate CA', issuer: root });
  const leaf = await createCertificate({ ca: intermediate, commonName: 'localhost', subjectAltNames: ['localhost', '127.0.0.1'], usage: 'server' });
  const direct = await createCertificate({ ca: root, commonName: 'localhost', subjectAltNames: ['localhost', '127.0.0.1'], usage: 'server' });
  writeFileSync(file('root.crt'), root.cert);
  writeFileSync(file('intermediate.crt'), intermediate.cert);
  writeFileSync(file('leaf.crt'), leaf.cert);
  writeFileSync(file('chain.crt'), leaf.cert + intermediate.cert);
  writeFileSync(file('leaf.key'), leaf.key);
  writeFileSync(file('direct.crt'), direct.cert);
  writeFileSync(file('direct.key'), direct.key);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// DTLS 1.3 (the default): the server checks the PSK binder of our ClientHello (RFC 8446 4.2.11) and
// aborts with decrypt_error (6.2); it asks for a certificate and, given an empty Certificate, aborts
// with certificate_required (4.4.2.4), after our last flight (we are connected by then: 4.4.4).
const BINDER_NOT_VERIFIED = /handshake with 127\.0\.0\.1:\d+ failed: decrypt_error: peer sent fatal alert decrypt_error: the server could not verify our PSK binder: it holds another key for our identity \(a different pre-shared key\?\) \[alert decrypt_error from the server\]/;
const NO_CLIENT_CERTIFICATE_13 = /connection to 127\.0\.0\.1:\d+ failed: certificate_required: peer sent fatal alert certificate_required: the server asked for a client certificate \(CertificateRequest\) and we have none to send: an empty Certificate went out \[alert certificate_required from the server\]/;
const FINISHED_NOT_VERIFIED = /handshake with 127\.0\.0\.1:\d+ failed: bad_record_mac: peer sent fatal alert bad_record_mac: the server could not verify our Finished: it derived other keys \(a different pre-shared key\?\) \[alert bad_record_mac from the server\]/;
const NO_CLIENT_CERTIFICATE = /handshake_failure: peer sent fatal alert handshake_failure: the server asked for a client certificate \(CertificateRequest\) and we have none to send: an empty Certificate went out \[alert handshake_failure from the server\]/;
const INTERMEDIATE_NOT_SENT = /unknown_ca: certificate "CN=localhost" was issued by "CN=Hints Intermediate CA", which is not a trusted CA, and the server did not send it: if it is an intermediate CA, the intermediate was not sent \(the server's chain lacks it\) \[alert unknown_ca\]/;

function client(port: number, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runCli(['client', '--host', '127.0.0.1', '--port', String(port), '--message', 'x', '--timeout', '4', ...args]);
}

describe.concurrent('a wrong PSK', () => {
  it.each([
    ['DTLS 1.3: "the server could not verify our PSK binder (a different pre-shared key?)"', [], BINDER_NOT_VERIFIED],
    ['--dtls1_2: "the server could not verify our Finished (a different pre-shared key?)"', ['--dtls1_2'], FINISHED_NOT_VERIFIED],
  ])('dtls-kit server, %s', async (_title, flags, hint) => {
    const server = await startCliServer(['--psk', PSK]);
    try {
      const r = await client(server.port, '--psk', WRONG_PSK, ...flags);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(hint);
    } finally {
      await server.stop();
    }
  });

  it('openssl s_server (drops our Finished, sends nothing): the timeout says so', async () => {
    const server = await startOpensslServer({ cipher: 'PSK-AES128-CCM8', psk: PSK, identity: 'Client_identity' });
    try {
      const r = await client(server.port, '--psk', WRONG_PSK, '--timeout', '3');
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /handshake did not complete within 3000 ms: the server answered until our Finished, then went silent: it may have derived other keys \(a different pre-shared key\?\) and dropped our Finished unread \(no alert was sent or received\)/,
      );
    } finally {
      await server.stop();
    }
  });
});

describe.concurrent('a CertificateRequest and no client certificate', () => {
  it.each([
    ['DTLS 1.3', [], NO_CLIENT_CERTIFICATE_13],
    ['--dtls1_2', ['--dtls1_2'], NO_CLIENT_CERTIFICATE],
  ])('dtls-kit server --verify, %s', async (_title, flags, hint) => {
    const server = await startCliServer(['--cert', file('direct.crt'), '--key', file('direct.key'), '--ca', file('root.crt'), '--verify']);
    try {
      const r = await client(server.port, '--servername', 'localhost', '--ca', file('root.crt'), ...flags);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(hint);
    } finally {
      await server.stop();
    }
  });

  it('openssl s_server -Verify 1', async () => {
    const server = await startOpensslServer({ cipher: SUITE, cert: file('direct.crt'), key: file('direct.key'), verifyClientCa: file('root.crt') });
    try {
      const r = await client(server.port, '--servername', 'localhost', '--ca', file('root.crt'));
      expect(r.code, server.output()).toBe(1);
      expect(r.stderr).toMatch(NO_CLIENT_CERTIFICATE);
    } finally {
      await server.stop();
    }
  });
});

describe.concurrent('a server chain without its intermediate', () => {
  it('dtls-kit server --cert LEAF (and, with the intermediate appended, it verifies)', async () => {
    const bare = await startCliServer(['--cert', file('leaf.crt'), '--key', file('leaf.key')]);
    const full = await startCliServer(['--cert', file('chain.crt'), '--key', file('leaf.key')]);
    try {
      const r = await client(bare.port, '--servername', 'localhost', '--ca', file('root.crt'));
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(INTERMEDIATE_NOT_SENT);
      const ok = await client(full.port, '--servername', 'localhost', '--ca', file('root.crt'));
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toBe('x\n');
    } finally {
      await bare.stop();
      await full.stop();
    }
  });

  it('openssl s_server -cert LEAF (and with -cert_chain INTERMEDIATE it verifies)', async () => {
    const bare = await startOpensslServer({ cipher: SUITE, cert: file('leaf.crt'), key: file('leaf.key') });
    const full = await startOpensslServer({ cipher: SUITE, cert: file('leaf.crt'), key: file('leaf.key'), extraArgs: ['-cert_chain', file('intermediate.crt')] });
    try {
      const r = await client(bare.port, '--servername', 'localhost', '--ca', file('root.crt'));
      expect(r.code, bare.output()).toBe(1);
      expect(r.stderr).toMatch(INTERMEDIATE_NOT_SENT);
      const ok = await client(full.port, '--servername', 'localhost', '--ca', file('root.crt'));
      expect(ok.code, ok.stderr + full.output()).toBe(0);
      expect(ok.stdout).toBe('x\n');
    } finally {
      await bare.stop();
      await full.stop();
    }
  });
});
