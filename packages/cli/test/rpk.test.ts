/**
 * `dtls-kit --rpk/--rpk-pin` (raw public keys, RFC 7250) as a user runs it, against GnuTLS 3.7
 * in both roles and against itself (both server runtimes). Commands (PORT a free port):
 *
 *   dtls-kit server --rpk --key server.key --rpk-pin client.pub --once [--runtime blocking]
 *   gnutls-cli --udp -p PORT --priority PRIORITY --insecure --rawpkkeyfile client.key --rawpkfile client.pub 127.0.0.1
 *   gnutls-serv --udp -p PORT --noticket --priority PRIORITY --echo --require-client-cert \
 *     --rawpkkeyfile server.key --rawpkfile server.pub
 *   dtls-kit client --host 127.0.0.1 --port PORT --rpk --key client.key --rpk-pin server.pub --message M
 *   PRIORITY = NORMAL:-VERS-ALL:+VERS-DTLS1.2:-CTYPE-ALL:+CTYPE-SRV-RAWPK:+CTYPE-CLI-RAWPK
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runGnutlsClient, startGnutlsServer } from '@dtls-kit/test-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { killAll, runCli, startCliServer } from './helpers.js';

afterAll(killAll);

const PRIORITY = 'NORMAL:-VERS-ALL:+VERS-DTLS1.2:-CTYPE-ALL:+CTYPE-SRV-RAWPK:+CTYPE-CLI-RAWPK';
const dir = mkdtempSync(join(tmpdir(), 'dtls-kit-cli-rpk-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes NAME.key (PKCS#8) and NAME.pub (SPKI PEM); returns the files and the SPKI's SHA-256 (what the connection line shows). */
function keyFiles(name: string, kind: 'p256' | 'ed25519'): { keyFile: string; publicKeyFile: string; sha256: string } {
  const p = kind === 'p256' ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' }) : generateKeyPairSync('ed25519');
  const keyFile = join(dir, `${name}.key`);
  const publicKeyFile = join(dir, `${name}.pub`);
  writeFileSync(keyFile, p.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(publicKeyFile, p.publicKey.export({ type: 'spki', format: 'pem' }));
  return { keyFile, publicKeyFile, sha256: createHash('sha256').update(p.publicKey.export({ type: 'spki', format: 'der' })).digest('hex') };
}

const server = keyFiles('server', 'p256');
const client = keyFiles('client', 'ed25519');
const stranger = keyFiles('stranger', 'p256');

describe.concurrent('--rpk arguments', () => {
  it.each([
    [['server', '--rpk'], /--rpk needs --key/],
    [['server', '--cert', server.publicKeyFile, '--key', server.keyFile, '--rpk-pin', client.publicKeyFile], /--rpk-pin needs --rpk on the server/],
    [['client', '--host', '127.0.0.1', '--rpk', '--key', client.keyFile], /--rpk needs --rpk-pin FILE/],
    [['client', '--host', '127.0.0.1', '--rpk-pin', '/nonexistent.pub', '--message', 'x'], /--rpk-pin: cannot read \/nonexistent\.pub: ENOENT/],
  ])('%j exits 2 with one line', async (args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe.concurrent('raw public keys against GnuTLS and ourselves', () => {
  for (const runtime of ['nonblocking', 'blocking'] as const) {
    it(`gnutls-cli --rawpkkeyfile ↔ dtls-kit server --rpk --rpk-pin (--runtime ${runtime})`, async () => {
      const s = await startCliServer(['--rpk', '--key', server.keyFile, '--rpk-pin', client.publicKeyFile, '--once', '--runtime', runtime]);
      const result = await runGnutlsClient({ port: s.port, priority: PRIORITY, rawPublicKey: client, messages: ['raw from gnutls'] });
      const why = `${result.stdout}${result.stderr}\n${s.stderr()}`;
      expect(result.echoed, why).toBe(true);
      expect(result.stdout, why).toMatch(/- Description: \(DTLS1\.2-Raw Public Key\)-/);
      expect(await s.exited, why).toBe(0);
      expect(s.stderr(), why).toContain(`rawkey="ed25519 sha256:${client.sha256}"`);
    });
  }

  it('dtls-kit client --rpk --rpk-pin ↔ gnutls-serv --rawpkkeyfile --require-client-cert', async () => {
    const peer = await startGnutlsServer({ priority: PRIORITY, rawPublicKey: server, extraArgs: ['--require-client-cert'] });
    try {
      const r = await runCli(['client', '--host', '127.0.0.1', '--port', String(peer.port), '--rpk', '--key', client.keyFile, '--rpk-pin', server.publicKeyFile, '--message', 'raw to gnutls']);
      const why = `${r.stderr}\n${peer.output()}`;
      expect(r.code, why).toBe(0);
      expect(r.stdout).toBe('raw to gnutls\n');
      expect(r.stderr).toContain(`rawkey="ec prime256v1 sha256:${server.sha256}"`);
    } finally {
      await peer.stop();
    }
  });

  it('dtls-kit client refuses a server key it did not pin (exit 1, certificate unknown)', async () => {
    const s = await startCliServer(['--rpk', '--key', server.keyFile, '--once']);
    try {
      const r = await runCli(['client', '--host', '127.0.0.1', '--port', String(s.port), '--rpk-pin', stranger.publicKeyFile, '--message', 'x']);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/handshake .* failed: .*not one of the pinned keys/);
    } finally {
      await s.stop();
    }
  });
});
