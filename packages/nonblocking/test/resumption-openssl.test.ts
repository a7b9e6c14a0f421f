/**
 * Session resumption against OpenSSL 3.0 and GnuTLS 3.7, both roles. Each resumed handshake is
 * shown abbreviated by the peer itself (s_client's "Reused, " line; gnutls-cli's "This is a
 * resumed session") and by us (isSessionReused()); s_client prints the server's certificate chain
 * after a full handshake and none after the resumed one: no Certificate came.
 *
 * Commands (PORT is our server's, F a session file):
 *   openssl s_client -dtls1_2 -connect 127.0.0.1:PORT -nbio -cipher ECDHE-ECDSA-AES128-GCM-SHA256 -no-CAfile -no-CApath -no-CAstore -sess_out F -no_ign_eof
 *   openssl s_client ... -sess_in F            (tickets; with -no_ticket added to both: session IDs)
 *   openssl s_client ... -no_ticket -reconnect
 *   openssl s_server -dtls1_2 -accept 127.0.0.1:PORT [-no_ticket] -cert c.pem -key k.pem -cipher ECDHE-ECDSA-AES128-GCM-SHA256 -quiet
 *     (no -listen: OpenSSL 3.0's s_server -listen never resumes a session, its own s_client's neither)
 *   gnutls-cli --udp -p PORT --priority NORMAL:-VERS-ALL:+VERS-DTLS1.2:... --insecure --resume 127.0.0.1
 *   gnutls-serv --udp -p PORT [--noticket] -a --echo --x509certfile c.pem --x509keyfile k.pem --priority NORMAL:-VERS-ALL:+VERS-DTLS1.2
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCA, createCertificate, x509Client, x509Server } from '@dtls-kit/x509';
import { runGnutlsClient, runOpensslClient, startGnutlsServer, startOpensslServer, type PeerServer } from '@dtls-kit/test-kit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionRefusedError } from '@dtls-kit/core';
import { connect, createServer, type DtlsServer, type DtlsSocket } from '../src/index.js';
import { echo, roundTrip } from './helpers.js';

const CIPHER = 'ECDHE-ECDSA-AES128-GCM-SHA256';
const dir = mkdtempSync(join(tmpdir(), 'dtls-resume-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let cert = '';
let key = '';
let caCert = '';
const certFile = join(dir, 'server.pem');
const keyFile = join(dir, 'server.key');
beforeAll(async () => {
  const ca = await createCA({ commonName: 'resumption test CA' });
  const leaf = await createCertificate({ ca, commonName: 'localhost', subjectAltNames: ['localhost', '127.0.0.1'], usage: 'server' });
  cert = leaf.cert;
  key = leaf.key;
  caCert = ca.cert;
  writeFileSync(certFile, cert);
  writeFileSync(keyFile, key);
});

let server: DtlsServer | undefined;
let peer: PeerServer | undefined;
afterEach(async () => {
  await server?.close();
  await peer?.stop();
  server = undefined;
  peer = undefined;
});

/** Our echo server with a certificate; the sockets it accepted, in order. */
async function ourServer(): Promise<{ port: number; accepted: DtlsSocket[] }> {
  const accepted: DtlsSocket[] = [];
  server = createServer({ x509: x509Server({ key, cert }), cipherSuites: CIPHER }, (s) => {
    accepted.push(s);
    echo(s);
  });
  const { port } = await server.listen(0, '127.0.0.1');
  return { port, accepted };
}

async function sClient(port: number, extra: string[], tickets: boolean): Promise<Awaited<ReturnType<typeof runOpensslClient>>> {
  return runOpensslClient({ port, cipher: CIPHER, tickets, messages: ['hello'], extraArgs: extra, timeoutMs: 15_000 });
}

describe('openssl s_client resumes with our server', () => {
  it.each([
    ['a ticket (RFC 5077)', true],
    ['a session ID (-no_ticket)', false],
  ])('-sess_out then -sess_in, by %s: "Reused," and no Certificate', async (_what, tickets) => {
    const { port, accepted } = await ourServer();
    const file = join(dir, `session-${String(tickets)}.pem`);
    const first = await sClient(port, ['-sess_out', file], tickets);
    expect(first.echoed, first.stdout + first.stderr).toBe(true);
    expect(first.stdout).toMatch(/New, TLSv1.2, Cipher is ECDHE-ECDSA-AES128-GCM-SHA256/);
    expect(first.stdout).toContain('Certificate chain');
    const second = await sClient(port, ['-sess_in', file], tickets);
    expect(second.echoed, second.stdout + second.stderr).toBe(true);
    expect(second.stdout).toMatch(/Reused, TLSv1.2, Cipher is ECDHE-ECDSA-AES128-GCM-SHA256/);
    // A resumed s_client prints no server certificate chain: none came.
    expect(second.stdout).not.toContain('Certificate chain');
    expect(accepted.map((s) => s.isSessionReused())).toEqual([false, true]);
  }, 40_000);

  it('-reconnect (session IDs): every reconnection is resumed', async () => {
    const { port, accepted } = await ourServer();
    const r = await runOpensslClient({ port, cipher: CIPHER, messages: [], expectEcho: false, extraArgs: ['-reconnect'], timeoutMs: 20_000 });
    const reused = r.stdout.match(/Reused, TLSv1.2/g) ?? [];
    expect(reused.length, r.stdout + r.stderr).toBeGreaterThanOrEqual(5);
    expect(accepted.length).toBeGreaterThanOrEqual(6);
    expect(accepted[0]?.isSessionReused()).toBe(false);
    expect(accepted.slice(1).every((s) => s.isSessionReused())).toBe(true);
  }, 40_000);
});

async function retryRefused<T>(attempt: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof ConnectionRefusedError) || i >= 20) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe('our client resumes with openssl s_server', () => {
  it.each([
    ['a ticket', true],
    ['a session ID (-no_ticket)', false],
  ])('by %s', async (_what, tickets) => {
    // Without -listen: OpenSSL 3.0's s_server -listen resumes nothing (peer quirk, see startOpensslServer).
    peer = await startOpensslServer({ cipher: CIPHER, cert: certFile, key: keyFile, tickets, listen: false });
    const ca = x509Client({ ca: caCert });
    const first = await connect({ host: '127.0.0.1', port: peer.port, x509: ca });
    const sessions: Buffer[] = [];
    first.on('session', (s) => sessions.push(s));
    expect(first.isSessionReused()).toBe(false);
    expect(await roundTrip(first, 'one')).toBe('one');
    const session = first.getSession();
    expect(session).toBeDefined();
    expect(sessions.length).toBe(1);
    await first.close();
    // s_server -listen binds its socket anew after a connection ends: until it has, ICMP port unreachable.
    const port = peer.port;
    const second = await retryRefused(() => connect({ host: '127.0.0.1', port, x509: ca, session }));
    expect(second.isSessionReused()).toBe(true);
    expect(second.getCipher().name).toBe(CIPHER);
    expect(await roundTrip(second, 'two')).toBe('two');
    await second.close();
  }, 30_000);
});

describe('gnutls-cli --resume with our server', () => {
  it('the second connection is a resumed session', async () => {
    const { port, accepted } = await ourServer();
    const r = await runGnutlsClient({
      port,
      priority: 'NORMAL:-VERS-ALL:+VERS-DTLS1.2:-KX-ALL:+ECDHE-ECDSA:-CIPHER-ALL:+AES-128-GCM:-MAC-ALL:+AEAD',
      messages: ['hello'],
      extraArgs: ['--resume'],
      timeoutMs: 20_000,
    });
    expect(r.stdout, r.stdout + r.stderr).toContain('This is a resumed session');
    expect(r.echoed).toBe(true);
    expect(accepted.map((s) => s.isSessionReused())).toEqual([false, true]);
  }, 40_000);
});

describe('our client resumes with gnutls-serv', () => {
  it.each([
    ['a ticket', true],
    ['a session ID (--noticket)', false],
  ])('by %s', async (_what, tickets) => {
    // gnutls-serv --udp -p PORT [--noticket] --echo --x509certfile c.pem --x509keyfile k.pem --priority NORMAL:-VERS-ALL:+VERS-DTLS1.2
    peer = await startGnutlsServer({ priority: 'NORMAL:-VERS-ALL:+VERS-DTLS1.2', cert: certFile, key: keyFile, tickets });
    const ca = x509Client({ ca: caCert });
    const first = await connect({ host: '127.0.0.1', port: peer.port, x509: ca });
    expect(await roundTrip(first, 'one')).toBe('one');
    const session = first.getSession();
    expect(session).toBeDefined();
    await first.close();
    const second = await connect({ host: '127.0.0.1', port: peer.port, x509: ca, session });
    expect(second.isSessionReused()).toBe(true);
    expect(await roundTrip(second, 'two')).toBe('two');
    await second.close();
  }, 30_000);
});
