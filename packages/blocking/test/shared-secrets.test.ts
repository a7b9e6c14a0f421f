/**
 * The blocking server's shared secrets (issue 18): setTicketKeys() reaches workers that are
 * already running (through shared memory: ticket-key-board.ts), and setCookieSecret() lets another
 * server's cookie verify. Against OpenSSL:
 *   openssl s_client -dtls1_2 -connect 127.0.0.1:PORT -nbio -cipher PSK-AES128-GCM-SHA256 -psk HEX -psk_identity ID -sess_out F -no_ign_eof
 *   openssl s_client ... -sess_in F
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstHandshakeType, runOpensslClient, startSwitchRelay } from '@dtls-kit/test-kit';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createBlockingServer, type BlockingServer } from '../src/index.js';
import { TicketKeyBoard } from '../src/ticket-key-board.js';
import { IDENTITY, KEY, fixture, serverCredentials } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'dtls-blocking-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const servers: BlockingServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
const CIPHER = 'PSK-AES128-GCM-SHA256';
const key = (fill: number): Uint8Array => new Uint8Array(48).fill(fill);

describe('TicketKeyBoard', () => {
  it('publishes a checked list with a new version each time; a reader sees the whole list', () => {
    const board = new TicketKeyBoard();
    expect(board.read()).toBeUndefined();
    board.write([key(1), key(2)]);
    const reader = new TicketKeyBoard(board.sab);
    const first = reader.read();
    expect(first?.keys).toEqual([key(1), key(2)]);
    board.write([key(3)]);
    expect(reader.version()).not.toBe(first?.version);
    expect(reader.read()?.keys).toEqual([key(3)]);
    expect(() => board.write([])).toThrow(RangeError);
    expect(() => board.write([new Uint8Array(47)])).toThrow(/48 bytes/);
    expect(() => board.write(Array.from({ length: 17 }, (_, i) => key(i)))).toThrow(RangeError);
    expect(reader.read()?.keys).toEqual([key(3)]);
  });
});

describe('blocking server: setTicketKeys() and setCookieSecret()', () => {
  it('setTicketKeys() reaches the running workers: a ticket under a dropped key gets a full handshake', async () => {
    const server = createBlockingServer({ handler: fixture('session-handler.mjs'), credentials: serverCredentials, maxThreads: 1, ticketKeys: [key(7)] });
    servers.push(server);
    const { port } = await server.listen(0, '127.0.0.1');
    const file = join(dir, 'session.pem');
    const run = (extra: string[]): ReturnType<typeof runOpensslClient> =>
      runOpensslClient({ port, cipher: CIPHER, psk: KEY, identity: IDENTITY, tickets: true, messages: ['probe'], extraArgs: extra });
    expect((await run(['-sess_out', file])).stdout).toMatch(/New, TLSv1.2/);
    // The one worker is running (it served the first connection); a new key first, the old kept.
    server.setTicketKeys([key(8), key(7)]);
    expect((await run(['-sess_in', file])).stdout).toMatch(/Reused, TLSv1.2/);
    server.setTicketKeys(key(8));
    const last = await run(['-sess_in', file]);
    expect(last.stdout).toMatch(/New, TLSv1.2/);
    expect(last.stdout).toContain('probe reused=false');
  }, 30_000);

  it("setCookieSecret(): B verifies A's cookie (openssl s_client through a relay: ClientHello to A, the rest to B)", async () => {
    const secret = new Uint8Array(32).fill(9);
    const a = createBlockingServer({ handler: fixture('session-handler.mjs'), credentials: serverCredentials, maxThreads: 1, cookieSecret: secret });
    const b = createBlockingServer({ handler: fixture('session-handler.mjs'), credentials: serverCredentials, maxThreads: 1 });
    servers.push(a, b);
    const pa = (await a.listen(0, '127.0.0.1')).port;
    const pb = (await b.listen(0, '127.0.0.1')).port;
    const across = async (): Promise<number | undefined> => {
      const relay = await startSwitchRelay({ targets: [pa, pb], route: (n) => (n === 0 ? 0 : 1) });
      try {
        await runOpensslClient({ port: relay.port, cipher: CIPHER, psk: KEY, identity: IDENTITY, messages: ['x'], timeoutMs: 8000 });
        const reply = relay.replies.find((r) => r.from === 1 && r.after === 2);
        return reply === undefined ? undefined : firstHandshakeType(reply.datagram);
      } finally {
        await relay.close();
      }
    };
    expect(await across()).toBe(3); // HelloVerifyRequest: B's own secret
    b.setCookieSecret(secret);
    expect(await across()).toBe(2); // ServerHello
  }, 30_000);
});
