/**
 * Several `dtls-kit server` PROCESSES that share a secrets file (issue 18), on loopback, without a
 * load balancer; the clients are OpenSSL's, so the cookie echo and the ticket are something we did
 * not write:
 *
 *   dtls-kit secrets --out S
 *   dtls-kit server --port 0 --psk 000102030405060708090a0b0c0d0e0f --secrets-file S   (A, and B)
 *   openssl s_client -dtls1_2 -connect 127.0.0.1:RELAY -nbio -no_ticket -cipher PSK-AES128-GCM-SHA256
 *     -psk 000102030405060708090a0b0c0d0e0f -psk_identity Client_identity -no-CAfile -no-CApath -no-CAstore -no_ign_eof
 *     (through a relay that sends the first ClientHello to A, the rest to B)
 *   openssl s_client ... -sess_out F  (to A)   then   ... -sess_in F  (to B)   -> "Reused"
 *   dtls-kit secrets --rotate S --keep 1   (A and B follow it, no restart)
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstHandshakeType, runOpensslClient, startSwitchRelay, waitUntil } from '@dtls-kit/test-kit';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { killAll, PSK, runCli, startCliServer, type CliServer } from './helpers.js';

afterAll(killAll);
const dir = mkdtempSync(join(tmpdir(), 'dtls-kit-cli-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CIPHER = 'PSK-AES128-GCM-SHA256';
const HELLO_VERIFY_REQUEST = 3;
const SERVER_HELLO = 2;

const servers: CliServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function server(args: readonly string[]): Promise<CliServer> {
  const s = await startCliServer(['--psk', PSK, '--cipher', CIPHER, ...args]);
  servers.push(s);
  return s;
}

async function secretsFile(name: string): Promise<string> {
  const path = join(dir, name);
  const r = await runCli(['secrets', '--out', path]);
  expect(r.code, r.stderr).toBe(0);
  return path;
}

const connections = (s: CliServer): string[] => s.stderr().split('\n').filter((l) => l.startsWith('connection '));

describe('a cookie from one process verifies at another (RFC 6347 4.2.1)', () => {
  it.each([
    ['sharing --secrets-file', true],
    ['each with its own random secret', false],
  ])('%s', async (_what, shared) => {
    const file = shared ? await secretsFile('cookie.json') : undefined;
    const flags = file === undefined ? [] : ['--secrets-file', file];
    const a = await server(flags);
    const b = await server(flags);
    // The ClientHello to A (it answers with a HelloVerifyRequest), everything after it to B.
    const relay = await startSwitchRelay({ targets: [a.port, b.port], route: (n) => (n === 0 ? 0 : 1) });
    try {
      const r = await runOpensslClient({ port: relay.port, cipher: CIPHER, psk: PSK, identity: 'Client_identity', messages: ['across'], timeoutMs: 10_000 });
      // A's answer to the first ClientHello: a HelloVerifyRequest with A's cookie.
      const fromA = relay.replies.filter((x) => x.from === 0);
      expect(fromA.map((x) => firstHandshakeType(x.datagram))).toEqual([HELLO_VERIFY_REQUEST]);
      // B's answer to the ClientHello that echoes A's cookie (the second client datagram).
      const answer = relay.replies.find((x) => x.from === 1 && x.after === 2);
      expect(answer, 'B answered the ClientHello with the cookie').toBeDefined();
      if (shared) {
        expect(firstHandshakeType(answer?.datagram ?? new Uint8Array(0))).toBe(SERVER_HELLO);
        expect(r.stdout).toMatch(/New, TLSv1.2, Cipher is PSK-AES128-GCM-SHA256/);
        expect(r.echoed, r.stdout + r.stderr).toBe(true);
        await waitUntil(() => connections(b).length === 1, 3000);
        expect(connections(a)).toHaveLength(0);
      } else {
        // B cannot verify A's cookie: it asks again, with a cookie of its own. (OpenSSL 3.0's s_client
        // takes that second HelloVerifyRequest and completes with B: a cookie that does not cross
        // costs a round trip, which is what this answer shows.)
        expect(firstHandshakeType(answer?.datagram ?? new Uint8Array(0))).toBe(HELLO_VERIFY_REQUEST);
      }
    } finally {
      await relay.close();
    }
  }, 30_000);
});

describe('a ticket from one process resumes at another, through rotations of the shared file (RFC 5077)', () => {
  it('A issues, B (blocking runtime) resumes; after a rotation the old ticket still resumes; once its key is dropped, a full handshake', async () => {
    const file = await secretsFile('tickets.json');
    const a = await server(['--secrets-file', file]);
    const b = await server(['--secrets-file', file, '--runtime', 'blocking', '--threads', '2']);
    const session = join(dir, 'openssl-session.pem');
    const run = (port: number, extra: string[]): ReturnType<typeof runOpensslClient> =>
      runOpensslClient({ port, cipher: CIPHER, psk: PSK, identity: 'Client_identity', tickets: true, messages: ['t'], extraArgs: extra, timeoutMs: 10_000 });

    const first = await run(a.port, ['-sess_out', session]);
    expect(first.stdout, first.stderr).toMatch(/New, TLSv1.2/);
    expect(first.stdout).toMatch(/TLS session ticket/);
    expect((await run(b.port, ['-sess_in', session])).stdout).toMatch(/Reused, TLSv1.2/);

    // Rotation 1: a new key seals, the ticket's key is kept (--keep 1). Both processes follow.
    const rotate = async (n: number): Promise<void> => {
      const r = await runCli(['secrets', '--rotate', file, '--keep', '1']);
      expect(r.code, r.stderr).toBe(0);
      const reloaded = (s: CliServer): number => s.stderr().split('\n').filter((l) => l.startsWith('secrets reloaded from')).length;
      await waitUntil(() => reloaded(a) === n && reloaded(b) === n, 5000);
    };
    await rotate(1);
    expect(JSON.parse(readFileSync(file, 'utf8')).ticketKeys).toHaveLength(2);
    expect((await run(b.port, ['-sess_in', session])).stdout).toMatch(/Reused, TLSv1.2/);
    expect((await run(a.port, ['-sess_in', session])).stdout).toMatch(/Reused, TLSv1.2/);

    // Rotation 2: the ticket's key is dropped. A full handshake at both (B's running workers too).
    await rotate(2);
    const atB = await run(b.port, ['-sess_in', session]);
    expect(atB.stdout).toMatch(/New, TLSv1.2/);
    expect(atB.echoed).toBe(true);
    expect((await run(a.port, ['-sess_in', session])).stdout).toMatch(/New, TLSv1.2/);
    expect(a.stderr()).not.toMatch(/warning/);
  }, 60_000);
});

describe('--server-id N: the first byte of every connection ID the server issues (RFC 9146)', () => {
  it.each([['nonblocking'], ['blocking']])('%s: tls12_cid records from the client carry the id right after the 11-byte header prefix', async (runtime) => {
    const a = await server(['--server-id', '7', '--runtime', runtime]);
    const relay = await startSwitchRelay({ targets: [a.port], route: () => 0 });
    try {
      // --cid 0: the client asks for no CID of its own but puts the server's in its records.
      // --dtls1_2: the tls12_cid record layout is DTLS 1.2's (RFC 9146 4).
      const r = await runCli(['client', '--host', '127.0.0.1', '--port', String(relay.port), '--psk', PSK, '--cipher', CIPHER, '--cid', '0', '--dtls1_2', '--message', 'routed']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('routed\n');
      // RFC 9146 4: tls12_cid (content type 25) | version | epoch | sequence (11 bytes) | cid | length.
      const cidRecords = relay.sent.map((x) => x.datagram).filter((d) => d[0] === 25);
      expect(cidRecords.length).toBeGreaterThan(0);
      for (const d of cidRecords) {
        expect(d[11]).toBe(7);
        // --server-id without --cid: 8-byte CIDs (the id and 7 random bytes): the length field follows them.
        expect((d[19] ?? 0) * 256 + (d[20] ?? 0)).toBe(d.length - 21);
      }
    } finally {
      await relay.close();
    }
  }, 30_000);

  it.each([['nonblocking'], ['blocking']])('%s, DTLS 1.3 (the default): unified headers from the client carry the id right after their first byte', async (runtime) => {
    const a = await server(['--server-id', '7', '--runtime', runtime]);
    const relay = await startSwitchRelay({ targets: [a.port], route: () => 0 });
    try {
      const r = await runCli(['client', '--host', '127.0.0.1', '--port', String(relay.port), '--psk', PSK, '--cid', '0', '--message', 'routed']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/connected to .* DTLSv1\.3 /);
      expect(r.stdout).toBe('routed\n');
      // RFC 9147 4: a unified header's first byte is 001CSLEE; with C set, the CID follows it at once.
      const cidRecords = relay.sent.map((x) => x.datagram).filter((d) => ((d[0] ?? 0) & 0xf0) === 0x30);
      expect(cidRecords.length).toBeGreaterThan(0);
      for (const d of cidRecords) expect(d[1]).toBe(7);
    } finally {
      await relay.close();
    }
  }, 30_000);

  it('refuses what cannot work, with a usage error', async () => {
    const bad = await runCli(['server', '--psk', PSK, '--server-id', '256']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--server-id must be 0\.\.255/);
    const short = await runCli(['server', '--psk', PSK, '--server-id', '1', '--cid', '4']);
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/--server-id needs --cid 5 or more/);
    const client = await runCli(['client', '--host', '127.0.0.1', '--psk', PSK, '--server-id', '1']);
    expect(client.code).toBe(2);
    expect(client.stderr).toMatch(/--server-id is not an option of "client"/);
  });
});

describe('dtls-kit secrets, and a bad --secrets-file', () => {
  it('--out refuses an existing file; --rotate keeps the rule; a bad file is exit 2 naming the field', async () => {
    const file = await secretsFile('cli.json');
    expect(JSON.parse(readFileSync(file, 'utf8')).format).toBe('dtls-kit-secrets/1');
    const again = await runCli(['secrets', '--out', file]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/exists: use --rotate/);
    const r1 = await runCli(['secrets', '--rotate', file, '--keep', '0']);
    expect(r1.stderr).toMatch(/new ticket key, 1 in all, 1 dropped .*; new cookie secret/);
    const r2 = await runCli(['secrets', '--rotate', file]);
    expect(r2.stderr).toMatch(/new ticket key, 2 in all .*; cookie secret kept/);
    expect(JSON.parse(readFileSync(file, 'utf8')).previousCookieSecret).toBeDefined();
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), ticketKeys: ['AAAA'] }));
    const s = await runCli(['server', '--psk', PSK, '--secrets-file', broken]);
    expect(s.code).toBe(2);
    expect(s.stderr).toMatch(/--secrets-file: secrets file .*broken\.json: ticketKeys\[0\]: must be 48 bytes/);
    const usage = await runCli(['secrets', '--rotate', file, '--out', file]);
    expect(usage.code).toBe(2);
  });

  it('a running server keeps its secrets when the file turns bad, says so, and takes the next good version', async () => {
    const file = await secretsFile('live.json');
    const a = await server(['--secrets-file', file]);
    const good = readFileSync(file, 'utf8');
    writeFileSync(file, good.slice(0, good.length / 2));
    await waitUntil(() => /warning: secrets file .*live\.json: not valid JSON.*; the secrets in force stay/.test(a.stderr()), 5000);
    // Still serving, with the secrets it had.
    const r = await runOpensslClient({ port: a.port, cipher: CIPHER, psk: PSK, identity: 'Client_identity', messages: ['still'], timeoutMs: 10_000 });
    expect(r.echoed).toBe(true);
    writeFileSync(file, good);
    await waitUntil(() => /secrets reloaded from .*live\.json/.test(a.stderr()), 5000);
  }, 30_000);
});
