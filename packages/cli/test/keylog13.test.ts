/**
 * `--keylog FILE` in DTLS 1.3 (issue 17): NSS's TLS 1.3 labels, keyed by the ClientHello's random,
 * held against wolfSSL 5.5.4's own key log of the same session (its 'keylog' build variant writes
 * SSLKEYLOGFILE; it writes four labels, no EXPORTER_SECRET). From wolfSSL's source root, with
 * SSLKEYLOGFILE=wolfssl.keys in the environment:
 *   ./examples/server/server -u -v 4 -s -p PORT -d -e -i                                     (our client --dtls1_3 --keylog)
 *   ./examples/client/client -u -v 4 -l TLS13-AES128-GCM-SHA256 -s -h 127.0.0.1 -p PORT -d -x  (our server --dtls1_3 --keylog)
 * A failed wolfSSL build fails this test (it never skips).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WOLFSSL_PSK_13, describePeerClient, runWolfsslClient, startWolfsslServer, wolfsslRoot } from '@dtls-kit/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PSK, killAll, runCli, startCliServer } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'dtls-kit-keylog13-'));
beforeAll(() => {
  wolfsslRoot('keylog');
}, 30 * 60_000);
afterAll(() => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});

const LABELS = ['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'SERVER_TRAFFIC_SECRET_0', 'EXPORTER_SECRET'];

function lines(file: string): string[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
}

/** Our five lines: NSS's labels in order, one client random, 32-byte secrets (SHA-256 suites). */
function expectOurs(ours: string[]): void {
  expect(ours.map((l) => l.split(' ')[0])).toEqual(LABELS);
  const randoms = new Set(ours.map((l) => l.split(' ')[1]));
  expect(randoms.size).toBe(1);
  for (const l of ours) expect(l).toMatch(/^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]{64}$/);
}

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check() && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('--keylog with DTLS 1.3', () => {
  it("dtls-kit client --dtls1_3 --keylog: the same secrets as wolfSSL's server logs, plus EXPORTER_SECRET", async () => {
    const theirs = join(dir, 'wolfssl-server.keys');
    const ours = join(dir, 'client.keys');
    const server = await startWolfsslServer({ version: '1.3', psk: true, variant: 'keylog', keylogFile: theirs });
    try {
      const r = await runCli(['client', '--dtls1_3', '--host', '127.0.0.1', '--port', String(server.port), '--psk', WOLFSSL_PSK_13, '--keylog', ours, '--message', 'keys please']);
      expect(r.code, r.stderr + server.output()).toBe(0);
    } finally {
      await server.stop();
    }
    const mine = lines(ours);
    expectOurs(mine);
    const wolf = lines(theirs);
    expect(wolf.length, 'wolfSSL wrote its key log').toBe(4);
    // Every line wolfSSL wrote, byte for byte, is one of ours.
    for (const line of wolf) expect(mine).toContain(line);
  }, 30_000);

  it("dtls-kit server --dtls1_3 --keylog: the same secrets as wolfSSL's client logs", async () => {
    // The blocking runtime writes no key log (--keylog is refused there).
    const runtime = 'nonblocking';
    const theirs = join(dir, `wolfssl-client-${runtime}.keys`);
    const ours = join(dir, `server-${runtime}.keys`);
    const server = await startCliServer(['--runtime', runtime, '--dtls1_3', '--psk', WOLFSSL_PSK_13, '--psk-identity', 'Client_identitySHA256', '--keylog', ours]);
    try {
      const client = await runWolfsslClient({ version: '1.3', psk: true, cipher: 'TLS13-AES128-GCM-SHA256', port: server.port, variant: 'keylog', keylogFile: theirs });
      expect(client.echoed, describePeerClient(client) + server.stderr()).toBe(true);
      await until(() => lines(ours).length >= 5, 3000);
    } finally {
      await server.stop();
    }
    const mine = lines(ours);
    expectOurs(mine);
    const wolf = lines(theirs);
    expect(wolf.length, 'wolfSSL wrote its key log').toBe(4);
    for (const line of wolf) expect(mine).toContain(line);
  }, 30_000);

  it('our client (with --trace, which reads the key log too) and our server write the same five lines (EXPORTER_SECRET included)', async () => {
    const clientKeys = join(dir, 'ours-client.keys');
    const serverKeys = join(dir, 'ours-server.keys');
    const server = await startCliServer(['--dtls1_3', '--psk', PSK, '--keylog', serverKeys, '--once']);
    const r = await runCli(['client', '--dtls1_3', '--trace', '--host', '127.0.0.1', '--port', String(server.port), '--psk', PSK, '--keylog', clientKeys, '--message', 'x']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Finished \(record 2:0\) ─+▶/);
    expect(await server.exited).toBe(0);
    expectOurs(lines(clientKeys));
    expect(lines(serverKeys)).toEqual(lines(clientKeys));
  }, 30_000);
});
