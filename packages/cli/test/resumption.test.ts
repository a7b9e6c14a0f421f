/**
 * Session resumption from the command line, as openssl's -sess_out / -sess_in / -reconnect:
 *   dtls-kit client --host 127.0.0.1 --port PORT --psk HEX --sess-out F --message hi
 *   dtls-kit client --host 127.0.0.1 --port PORT --psk HEX --sess-in F --message hi   -> "... resumed"
 *   dtls-kit client ... --reconnect                                                   -> 5 more, resumed
 * against openssl s_server -dtls1_2 -accept 127.0.0.1:PORT -nocert -psk HEX -psk_identity Client_identity
 * -cipher PSK-AES128-GCM-SHA256 -quiet (tickets; without -listen, which in OpenSSL 3.0 resumes nothing),
 * and `dtls-kit server` against openssl s_client -sess_out F / -sess_in F ("Reused, ").
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOpensslClient, startOpensslServer, type PeerServer } from '@dtls-kit/test-kit';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { killAll, PSK, runCli, startCliServer } from './helpers.js';

afterAll(killAll);
const dir = mkdtempSync(join(tmpdir(), 'dtls-kit-cli-resume-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let peer: PeerServer | undefined;
afterEach(async () => {
  await peer?.stop();
  peer = undefined;
});

const CIPHER = 'PSK-AES128-GCM-SHA256';

describe('dtls-kit client --sess-out / --sess-in / --reconnect', () => {
  it.each([
    ['tickets', [] as string[]],
    ['session IDs (--no-ticket, s_server -no_ticket)', ['--no-ticket']],
  ])('against openssl s_server, by %s', async (_what, flags) => {
    peer = await startOpensslServer({ cipher: CIPHER, psk: PSK, identity: 'Client_identity', tickets: flags.length === 0, listen: false });
    const file = join(dir, `s-${flags.length}`);
    const base = ['client', '--host', '127.0.0.1', '--port', String(peer.port), '--psk', PSK, '--cipher', CIPHER, ...flags];
    const first = await runCli([...base, '--sess-out', file, '--message', 'one']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/connected to .* PSK-AES128-GCM-SHA256 identity="Client_identity"\n/);
    expect(existsSync(file)).toBe(true);
    let second = await runCli([...base, '--sess-in', file, '--message', 'two']);
    // s_server (no -listen) takes the next client once it is done with the first: retried until then.
    for (let i = 0; i < 10 && second.code !== 0; i++) second = await runCli([...base, '--sess-in', file, '--message', 'two']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/connected to .* PSK-AES128-GCM-SHA256 identity="Client_identity" resumed\n/);
    expect(second.stdout).toBe('two\n');
  }, 40_000);

  // DTLS 1.3 (the default): each connection resumes with the ticket the previous one got after its
  // handshake (RFC 8446 4.6.1); DTLS 1.2: with the ticket of the handshake (RFC 5077 3.3).
  it.each([
    ['DTLSv1.3', []],
    ['DTLSv1.2', ['--dtls1_2']],
  ])('--reconnect against dtls-kit server (%s): five more connections, each resumed (the server says so too)', async (version, flags) => {
    const server = await startCliServer(['--psk', PSK]);
    const r = await runCli(['client', '--host', '127.0.0.1', '--port', String(server.port), '--psk', PSK, '--reconnect', '--message', 'hi', ...flags]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('connected to'));
    expect(lines).toHaveLength(6);
    // A resumed connection names the identity the full handshake used (RFC 8446 4.2.11 / RFC 5246 7.3).
    for (const l of lines) expect(l).toContain(` ${version} `);
    for (const l of lines) expect(l).toContain(' identity="Client_identity"');
    expect(lines[0]).not.toMatch(/resumed$/);
    expect(lines.slice(1).every((l) => l.endsWith(' resumed'))).toBe(true);
    expect(r.stdout).toBe('hi\n');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(server.stderr().split('\n').filter((l) => /^connection .* resumed$/.test(l))).toHaveLength(5);
    await server.stop();
  }, 40_000);

  it('--sess-out / --sess-in against dtls-kit server, DTLS 1.3: the ticket that comes after the handshake is written, and resumes', async () => {
    const server = await startCliServer(['--psk', PSK]);
    try {
      const file = join(dir, 's-13');
      const base = ['client', '--host', '127.0.0.1', '--port', String(server.port), '--psk', PSK];
      const first = await runCli([...base, '--sess-out', file, '--message', 'one']);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stderr).toMatch(/connected to .* DTLSv1\.3 /);
      expect(first.stderr).not.toMatch(/gave no session/);
      expect(existsSync(file)).toBe(true);
      const second = await runCli([...base, '--sess-in', file, '--message', 'two']);
      expect(second.code, second.stderr).toBe(0);
      expect(second.stderr).toMatch(/connected to .* DTLSv1\.3 .* resumed\n/);
      expect(second.stdout).toBe('two\n');
    } finally {
      await server.stop();
    }
  });

  it('a --sess-in file that is no session: exit 1 with the reason', async () => {
    const file = join(dir, 'junk');
    writeFileSync(file, 'not a session');
    const r = await runCli(['client', '--host', '127.0.0.1', '--port', '9', '--psk', PSK, '--sess-in', file, '--message', 'x']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--sess-in .*junk: session is not one getSession\(\) returned/);
  });
});

describe('dtls-kit server with openssl s_client -sess_out / -sess_in', () => {
  it('the second connection is "Reused," and the server line says resumed', async () => {
    const server = await startCliServer(['--psk', PSK, '--cipher', CIPHER]);
    const file = join(dir, 'openssl-session.pem');
    const run = (extra: string[]): ReturnType<typeof runOpensslClient> =>
      runOpensslClient({ port: server.port, cipher: CIPHER, psk: PSK, identity: 'Client_identity', tickets: true, messages: ['hello'], extraArgs: extra });
    const first = await run(['-sess_out', file]);
    expect(first.stdout).toMatch(/New, TLSv1.2/);
    const second = await run(['-sess_in', file]);
    expect(second.stdout, second.stdout + second.stderr).toMatch(/Reused, TLSv1.2/);
    expect(second.echoed).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(server.stderr().split('\n').filter((l) => /^connection .* resumed$/.test(l))).toHaveLength(1);
    await server.stop();
  }, 40_000);
});
