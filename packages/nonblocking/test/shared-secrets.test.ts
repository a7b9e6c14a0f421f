/**
 * createServer()'s shared secrets (issue 18): `cookieSecret` / setCookieSecret(), `secretsFile` /
 * watchSecrets() and their events. Two servers in this process stand for two processes (the CLI's
 * tests run real ones, with OpenSSL clients); a relay sends the first ClientHello to one and the
 * ClientHello with the cookie to the other.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatSecretsFile, newSecrets, rotateSecrets, SecretsFileError, type SecretsLoadInfo } from '@dtls-kit/core';
import { firstHandshakeType, startSwitchRelay, waitUntil } from '@dtls-kit/test-kit';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { connect, createServer, type DtlsServer } from '../src/index.js';
import { clientPsk, echo, roundTrip, serverPsk } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'dtls-nb-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const servers: DtlsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  vi.restoreAllMocks();
});

const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

async function start(options: Parameters<typeof createServer>[0]): Promise<{ server: DtlsServer; port: number }> {
  const server = createServer({ psk: serverPsk(), ...options }, echo);
  servers.push(server);
  const { port } = await server.listen(0, '127.0.0.1');
  return { server, port };
}

/** Connects through a relay (ClientHello to `a`, the rest to `b`): what `b` answered the cookie echo with, and whether it connected. */
async function across(a: number, b: number, maxVersion?: 'DTLSv1.2'): Promise<{ answer: number | undefined; connected: boolean }> {
  const relay = await startSwitchRelay({ targets: [a, b], route: (n) => (n === 0 ? 0 : 1) });
  try {
    let connected = false;
    try {
      const socket = await connect({ host: '127.0.0.1', port: relay.port, psk: clientPsk(), handshakeTimeoutMs: 1500, retransmit: { initialMs: 200 }, ...(maxVersion === undefined ? {} : { maxVersion }) });
      connected = (await roundTrip(socket, 'x')) === 'x';
      await socket.close();
    } catch {
      connected = false;
    }
    const reply = relay.replies.find((r) => r.from === 1 && r.after === 2);
    return { answer: reply === undefined ? undefined : firstHandshakeType(reply.datagram), connected };
  } finally {
    await relay.close();
  }
}

describe('cookieSecret and setCookieSecret()', () => {
  it("B verifies A's cookie once it holds A's secret, given at run time (DTLS 1.2)", async () => {
    const secret = random(32);
    const a = await start({ cookieSecret: secret });
    const b = await start({});
    // B's own random secret: A's cookie does not verify, B sends a HelloVerifyRequest (3).
    expect((await across(a.port, b.port, 'DTLSv1.2')).answer).toBe(3);
    b.server.setCookieSecret(secret);
    const r = await across(a.port, b.port, 'DTLSv1.2');
    expect(r.answer).toBe(2); // ServerHello
    expect(r.connected).toBe(true);
  }, 20_000);

  it("B verifies A's HelloRetryRequest cookie once it holds A's secret, given at run time (DTLS 1.3)", async () => {
    const secret = random(32);
    const a = await start({ cookieSecret: secret });
    const b = await start({});
    // B's own random secret: A's cookie does not verify and B drops the ClientHello (a second
    // HelloRetryRequest would only make the client abort, RFC 8446 4.1.4): no answer, the
    // handshake times out, the drops counted as a bad MAC.
    expect(await across(a.port, b.port)).toEqual({ answer: undefined, connected: false });
    expect(b.server.stats.dropped.badMac).toBeGreaterThanOrEqual(1);
    b.server.setCookieSecret(secret);
    const r = await across(a.port, b.port);
    expect(r.answer).toBe(2); // ServerHello
    expect(r.connected).toBe(true);
    expect(() => b.server.setCookieSecret(random(16))).toThrow(RangeError);
  }, 20_000);

  it('secretsFile with cookieSecret or ticketKeys is a TypeError; a bad file a SecretsFileError naming the field', () => {
    const path = join(dir, 'conflict.json');
    writeFileSync(path, formatSecretsFile(newSecrets(random, Date.now())));
    expect(() => createServer({ psk: serverPsk(), secretsFile: path, cookieSecret: random(32) })).toThrow(/give secretsFile, or cookieSecret and ticketKeys, not both/);
    expect(() => createServer({ psk: serverPsk(), secretsFile: path, ticketKeys: random(48) })).toThrow(TypeError);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"format": "dtls-kit-secrets/1", "cookieSecret": "AAAA", "ticketKeys": []}');
    expect(() => createServer({ psk: serverPsk(), secretsFile: bad })).toThrow(SecretsFileError);
    expect(() => createServer({ psk: serverPsk(), secretsFile: bad })).toThrow(expect.objectContaining({ field: 'cookieSecret' }));
  });
});

describe('secretsFile and watchSecrets()', () => {
  it('two servers on one file: cookies and tickets cross; a rotation is followed ("secrets"); a bad version is a "warning" and changes nothing', async () => {
    const path = join(dir, 'shared.json');
    let s = newSecrets(random, Date.now());
    writeFileSync(path, formatSecretsFile(s));
    const a = await start({ secretsFile: path });
    const b = await start({});
    b.server.watchSecrets(path);
    expect((await across(a.port, b.port)).connected).toBe(true);

    // A ticket from A resumes at B.
    const first = await connect({ host: '127.0.0.1', port: a.port, psk: clientPsk() });
    await roundTrip(first, 'x');
    const session = first.getSession();
    await first.close();
    if (session === undefined) throw new Error('no session');
    const resume = async (port: number): Promise<boolean> => {
      const socket = await connect({ host: '127.0.0.1', port, psk: clientPsk(), session });
      const reused = socket.isSessionReused();
      await socket.close();
      return reused;
    };
    expect(await resume(b.port)).toBe(true);

    const loads: SecretsLoadInfo[] = [];
    const warnings: Error[] = [];
    for (const { server } of [a, b]) {
      server.on('secrets', (info) => loads.push(info));
      server.on('warning', (error) => warnings.push(error));
    }
    // Drop every key that opens the ticket: rotate with keep 0, written by rename.
    s = rotateSecrets(s, { random, now: Date.now(), keep: 0 }).secrets;
    writeFileSync(`${path}.tmp`, formatSecretsFile(s));
    renameSync(`${path}.tmp`, path);
    await waitUntil(() => loads.length === 2, 5000);
    expect(loads[0]?.ticketKeys).toBe(1);
    expect(await resume(a.port)).toBe(false);
    expect(await resume(b.port)).toBe(false);

    // A half-written file: both warn, both keep the secrets in force (cookies still cross).
    writeFileSync(path, formatSecretsFile(s).slice(0, 30));
    await waitUntil(() => warnings.length === 2, 5000);
    expect(warnings[0]).toBeInstanceOf(SecretsFileError);
    expect((await across(a.port, b.port)).connected).toBe(true);
  }, 30_000);

  it("without a 'warning' listener the problem goes to process.emitWarning(), and nothing crashes", async () => {
    const path = join(dir, 'lonely.json');
    writeFileSync(path, formatSecretsFile(newSecrets(random, Date.now())));
    const emitted: unknown[] = [];
    vi.spyOn(process, 'emitWarning').mockImplementation((w: string | Error) => void emitted.push(w));
    await start({ secretsFile: path });
    writeFileSync(path, 'not json');
    await waitUntil(() => emitted.length === 1, 5000);
    expect(emitted[0]).toBeInstanceOf(SecretsFileError);
  }, 15_000);
});
