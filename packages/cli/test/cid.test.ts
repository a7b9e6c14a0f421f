/**
 * `--cid LEN` (RFC 9146 connection IDs) on the built `dtls-kit` command: negotiated between
 * `dtls-kit server` and `dtls-kit client`, shown by `--trace` (a line naming both CIDs, and
 * tls12_cid records described as such, with their CID), named in the key log, followed across a
 * NAT rebinding by the server, and passed to the blocking runtime's engine.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNatRelay } from '@dtls-kit/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll, PSK, runCli, startCliServer } from './helpers.js';

afterAll(killAll);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dtls-kit-cli-cid-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The CIDs a `--trace` names: `<role>: connection IDs receive=<hex|-> send=<hex|->`. */
function tracedCids(stderr: string, role: 'client' | 'server'): { receive: string; send: string } | undefined {
  const m = new RegExp(`^trace\\s+[\\d.]+\\s+· ${role}: connection IDs receive=([0-9a-f]+|-) send=([0-9a-f]+|-)`, 'm').exec(stderr);
  return m === null ? undefined : { receive: m[1] ?? '', send: m[2] ?? '' };
}

describe.concurrent('--cid arguments', () => {
  it.each([
    [['client', '--host', '127.0.0.1', '--port', '1', '--psk', PSK, '--cid', '256'], /--cid must be 0\.\.255, got 256/],
    [['server', '--psk', PSK, '--cid', 'eight'], /--cid must be an integer, got "eight"/],
    [['server', '--psk', PSK, '--cid=-1'], /--cid must be an integer, got "-1"/],
  ])('%j exits 2 with one line', async (args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('--help documents --cid', async () => {
    const r = await runCli(['--help']);
    expect(r.stdout).toMatch(/dtls-kit server .*\[--cid LEN\]/s);
    expect(r.stdout).toMatch(/--cid LEN\s+offer connection IDs \(RFC 9146\)/);
  });
});

describe.concurrent('dtls-kit server --cid ↔ dtls-kit client --cid', () => {
  it('negotiates CIDs: --trace names them and describes tls12_cid records, the key log names them, data flows', async () => {
    const keylog = join(dir, 'keys.txt');
    const server = await startCliServer(['--psk', PSK, '--once', '--cid', '8', '--cipher', 'PSK-AES128-CCM8', '--trace']);
    const client = await runCli([
      // --dtls1_2: tls12_cid records (RFC 9146 4) and the CLIENT_RANDOM key log line are DTLS 1.2's.
      'client', '--host', '127.0.0.1', '--port', String(server.port), '--psk', PSK, '--cid', '8', '--trace', '--dtls1_2',
      '--message', 'hello', '--message', 'over CIDs', '--keylog', keylog,
    ]);
    expect(client.code, client.stderr).toBe(0);
    expect(client.stdout).toBe('hello\nover CIDs\n');
    expect(await server.exited).toBe(0);
    expect(server.stderr()).toMatch(/close 127\.0\.0\.1:\d+ after 2 messages/);

    // A trace line names both CIDs on each side, mirrored.
    const ours = tracedCids(client.stderr, 'client');
    const theirs = tracedCids(server.stderr(), 'server');
    console.log(`--cid 8: client receive=${ours?.receive} send=${ours?.send}`);
    expect(ours?.receive).toMatch(/^[0-9a-f]{16}$/);
    expect(ours?.send).toMatch(/^[0-9a-f]{16}$/);
    expect(theirs).toEqual({ receive: ours?.send, send: ours?.receive });
    // tls12_cid records are described as such, with the CID their receiver chose: the Finished
    // messages, then each message (its plaintext size) both ways.
    const sent = ours?.send ?? '';
    const got = ours?.receive ?? '';
    expect(client.stderr).toMatch(new RegExp(`^trace\\s+[\\d.]+\\s+Finished \\(tls12_cid, cid ${sent}, encrypted\\) ─+▶$`, 'm'));
    expect(client.stderr).toMatch(new RegExp(`^trace\\s+[\\d.]+\\s+◀─+ Finished \\(tls12_cid, cid ${got}, encrypted\\)$`, 'm'));
    expect(client.stderr).toMatch(new RegExp(`^trace\\s+[\\d.]+\\s+tls12_cid \\(cid ${sent}, 5 bytes\\) ─+▶$`, 'm'));
    expect(client.stderr).toMatch(new RegExp(`^trace\\s+[\\d.]+\\s+◀─+ tls12_cid \\(cid ${got}, 9 bytes\\)$`, 'm'));
    expect(server.stderr()).toMatch(new RegExp(`^trace\\s+[\\d.]+\\s+tls12_cid \\(cid ${sent}, 9 bytes\\) ─+▶  127\\.0\\.0\\.1:\\d+$`, 'm'));
    expect(client.stderr).not.toContain('undecodable');
    expect(server.stderr()).not.toContain('undecodable');
    // The key log: the comment naming the CIDs, then the CLIENT_RANDOM line of the same session.
    const lines = readFileSync(keylog, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    const random = /^CLIENT_RANDOM ([0-9a-f]{64}) [0-9a-f]{96}$/.exec(lines[1] ?? '')?.[1];
    expect(random).toBeDefined();
    expect(lines[0]).toBe(`# CONNECTION_ID ${random} receive=${got} send=${sent}`);
  });

  it('--cid 0 on the client: it sends the server’s CID and receives plain records', async () => {
    const server = await startCliServer(['--psk', PSK, '--once', '--cid', '4', '--trace']);
    const client = await runCli(['client', '--host', '127.0.0.1', '--port', String(server.port), '--psk', PSK, '--cid', '0', '--trace', '--dtls1_2', '--message', 'x']);
    expect(client.code, client.stderr).toBe(0);
    expect(client.stdout).toBe('x\n');
    expect(await server.exited).toBe(0);
    const ours = tracedCids(client.stderr, 'client');
    expect(ours?.receive).toBe('-');
    expect(ours?.send).toMatch(/^[0-9a-f]{8}$/);
    expect(client.stderr).toMatch(/^trace\s+[\d.]+\s+◀─+ ApplicationData \(1 bytes\)$/m);
    expect(client.stderr).toMatch(/^trace\s+[\d.]+\s+tls12_cid \(cid [0-9a-f]{8}, 1 bytes\) ─+▶$/m);
  });

  // DTLS 1.3 (the default): the CID follows the unified header's first byte (RFC 9147 4), its length
  // in no header: the trace takes it from the hellos' connection_id extensions (RFC 9147 9) until
  // the connection knows it, so the server's first encrypted records, and ours, are opened too.
  it.each([
    ['8', '8', /^[0-9a-f]{16}$/],
    ['4', '0', /^-$/],
  ])('DTLS 1.3: server --cid %s, client --cid %s: --trace frames and opens every record, data flows', async (serverCid, clientCid, receive) => {
    const server = await startCliServer(['--psk', PSK, '--once', '--cid', serverCid, '--trace']);
    const client = await runCli(['client', '--host', '127.0.0.1', '--port', String(server.port), '--psk', PSK, '--cid', clientCid, '--trace', '--message', 'hello']);
    expect(client.code, client.stderr).toBe(0);
    expect(client.stdout).toBe('hello\n');
    expect(await server.exited).toBe(0);
    expect(client.stderr).toMatch(/connected to .* DTLSv1\.3 /);
    const ours = tracedCids(client.stderr, 'client');
    expect(ours?.receive).toMatch(receive);
    expect(ours?.send).toMatch(new RegExp(`^[0-9a-f]{${Number(serverCid) * 2}}$`));
    expect(client.stderr).toMatch(/^trace\s+[\d.]+\s+◀─+ EncryptedExtensions \(record 2:0\)$/m);
    expect(client.stderr).toMatch(/^trace\s+[\d.]+\s+Finished \(record 2:0\) ─+▶$/m);
    expect(client.stderr).toMatch(/^trace\s+[\d.]+\s+ApplicationData \(5 bytes, record 3:\d+\) ─+▶$/m);
    expect(client.stderr).toMatch(/^trace\s+[\d.]+\s+◀─+ ApplicationData \(5 bytes, record 3:\d+\)$/m);
    for (const side of [client.stderr, server.stderr()]) {
      expect(side).not.toContain('undecodable');
      expect(side).not.toContain('not opened');
    }
  });

  it('without --cid on one side no CIDs are used (the trace names none)', async () => {
    const server = await startCliServer(['--psk', PSK, '--once', '--cid', '8']);
    const client = await runCli(['client', '--host', '127.0.0.1', '--port', String(server.port), '--psk', PSK, '--trace', '--message', 'x']);
    expect(client.code, client.stderr).toBe(0);
    expect(await server.exited).toBe(0);
    expect(tracedCids(client.stderr, 'client')).toBeUndefined();
    expect(client.stderr).not.toContain('tls12_cid');
  });

  it('the server follows a client whose NAT rebinds: a "moved" line per rebind, every echo comes back', async () => {
    const server = await startCliServer(['--psk', PSK, '--once', '--cid', '8', '--trace']);
    const relay = await startNatRelay({ target: server.port, rebindEvery: 6 });
    try {
      const messages = Array.from({ length: 12 }, (_, i) => `m${i}`);
      const client = await runCli(['client', '--host', '127.0.0.1', '--port', String(relay.port), '--psk', PSK, '--cid', '0', ...messages.flatMap((m) => ['--message', m])]);
      expect(client.code, client.stderr).toBe(0);
      expect(client.stdout).toBe(messages.map((m) => `${m}\n`).join(''));
      expect(await server.exited).toBe(0);
      const moved = server.stderr().match(/^moved 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+ \(connection 127\.0\.0\.1:\d+\)$/gm) ?? [];
      console.log(`CLI through a NAT relay: ${relay.stats.rebinds} rebinds, ${moved.length} "moved" lines`);
      expect(relay.stats.rebinds).toBeGreaterThanOrEqual(2);
      expect(moved).toHaveLength(relay.stats.rebinds);
      expect(server.stderr()).toMatch(/^trace\s+[\d.]+\s+· server: the client's address moved 127\.0\.0\.1:\d+ → 127\.0\.0\.1:\d+/m);
      expect(server.stderr()).toMatch(/close 127\.0\.0\.1:\d+ after 12 messages/);
    } finally {
      await relay.close();
    }
  });

  it('--runtime blocking: the server follows a client whose NAT rebinds, a "moved" line per rebind', async () => {
    const server = await startCliServer(['--psk', PSK, '--once', '--cid', '8', '--runtime', 'blocking', '--threads', '1']);
    const relay = await startNatRelay({ target: server.port, rebindEvery: 6 });
    try {
      const messages = Array.from({ length: 12 }, (_, i) => `b${i}`);
      const client = await runCli(['client', '--host', '127.0.0.1', '--port', String(relay.port), '--psk', PSK, '--cid', '0', ...messages.flatMap((m) => ['--message', m])]);
      expect(client.code, client.stderr).toBe(0);
      expect(client.stdout).toBe(messages.map((m) => `${m}\n`).join(''));
      expect(await server.exited).toBe(0);
      const moved = server.stderr().match(/^moved 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+$/gm) ?? [];
      console.log(`CLI (blocking) through a NAT relay: ${relay.stats.rebinds} rebinds, ${moved.length} "moved" lines`);
      expect(relay.stats.rebinds).toBeGreaterThanOrEqual(2);
      expect(moved).toHaveLength(relay.stats.rebinds);
      expect(server.stderr()).toMatch(/close 127\.0\.0\.1:\d+ after 12 messages/);
    } finally {
      await relay.close();
    }
  });

  it('--runtime blocking --cid 8: the engine in the worker negotiates CIDs and echoes', async () => {
    const server = await startCliServer(['--psk', PSK, '--once', '--cid', '8', '--runtime', 'blocking', '--threads', '1']);
    const client = await runCli(['client', '--host', '127.0.0.1', '--port', String(server.port), '--psk', PSK, '--cid', '4', '--trace', '--message', 'blocking']);
    expect(client.code, client.stderr).toBe(0);
    expect(client.stdout).toBe('blocking\n');
    expect(await server.exited).toBe(0);
    const ours = tracedCids(client.stderr, 'client');
    expect(ours?.receive).toMatch(/^[0-9a-f]{8}$/);
    expect(ours?.send).toMatch(/^[0-9a-f]{16}$/);
  });
});
