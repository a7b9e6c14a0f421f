/**
 * Session resumption in the blocking runtime. A blocking server resumes by ticket only, under
 * ticket keys every worker shares (each connection runs in whichever worker is free): proven with
 *   openssl s_client -dtls1_2 -connect 127.0.0.1:PORT -nbio -cipher PSK-AES128-GCM-SHA256 -psk HEX -psk_identity ID -sess_out F -no_ign_eof
 *   openssl s_client ... -sess_in F        -> "Reused, TLSv1.2"
 * and the blocking client resumes with
 *   openssl s_server -dtls1_2 -accept 127.0.0.1:PORT -cipher PSK-AES128-GCM-SHA256 -psk HEX -psk_identity ID -nocert -quiet
 *   (tickets; no -listen: OpenSSL 3.0's s_server -listen resumes nothing).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOpensslClient, startOpensslServer, type PeerServer } from '@dtls-kit/test-kit';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createBlockingServer, runBlockingClient, type BlockingServer } from '../src/index.js';
import { IDENTITY, KEY, clientCredentials, fixture, serverCredentials } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'dtls-blocking-resume-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let server: BlockingServer | undefined;
let other: BlockingServer | undefined;
let peer: PeerServer | undefined;
afterEach(async () => {
  await server?.close();
  await other?.close();
  await peer?.stop();
  server = undefined;
  other = undefined;
  peer = undefined;
});

const CIPHER = 'PSK-AES128-GCM-SHA256';

interface SessionResult {
  reply: string | null;
  session: Uint8Array | undefined;
  reused: boolean;
}

describe('blocking runtime: session resumption', () => {
  it.each(['worker', 'main'] as const)('openssl s_client -sess_out / -sess_in: resumed by ticket, whichever worker takes it (handshakes %s)', async (handshakes) => {
    server = createBlockingServer({ handler: fixture('session-handler.mjs'), credentials: serverCredentials, maxThreads: 2, handshakes });
    const { port } = await server.listen(0, '127.0.0.1');
    const file = join(dir, 'session.pem');
    const run = (extra: string[]): ReturnType<typeof runOpensslClient> =>
      runOpensslClient({ port, cipher: CIPHER, psk: KEY, identity: IDENTITY, tickets: true, messages: ['probe'], extraArgs: extra });
    const first = await run(['-sess_out', file]);
    expect(first.stdout, first.stdout + first.stderr).toMatch(/New, TLSv1.2/);
    expect(first.stdout).toContain('probe reused=false');
    const second = await run(['-sess_in', file]);
    expect(second.stdout, second.stdout + second.stderr).toMatch(/Reused, TLSv1.2/);
    expect(second.stdout).toContain('probe reused=true');
  }, 30_000);

  it('the blocking client: getSession() from the handler, `session` to resume; two servers sharing ticketKeys', async () => {
    const ticketKeys = [new Uint8Array(48).fill(5)];
    server = createBlockingServer({ handler: fixture('session-handler.mjs'), credentials: serverCredentials, maxThreads: 1, ticketKeys });
    other = createBlockingServer({ handler: fixture('session-handler.mjs'), credentials: serverCredentials, maxThreads: 1, ticketKeys });
    const a = await server.listen(0, '127.0.0.1');
    const b = await other.listen(0, '127.0.0.1');
    const first = await runBlockingClient<SessionResult>({ handler: fixture('session-client.mjs'), port: a.port, credentials: clientCredentials });
    expect(first.reply).toBe('resume me reused=false');
    expect(first.reused).toBe(false);
    expect(first.session).toBeDefined();
    const second = await runBlockingClient<SessionResult>({ handler: fixture('session-client.mjs'), port: b.port, credentials: clientCredentials, session: first.session });
    expect(second.reused).toBe(true);
    expect(second.reply).toBe('resume me reused=true');
  }, 30_000);

  it('the blocking client resumes with openssl s_server (ticket)', async () => {
    peer = await startOpensslServer({ cipher: CIPHER, psk: KEY, identity: IDENTITY, tickets: true, listen: false });
    const first = await runBlockingClient<SessionResult>({ handler: fixture('session-client.mjs'), port: peer.port, credentials: clientCredentials });
    expect(first.reply).toBe('resume me');
    expect(first.reused).toBe(false);
    const port = peer.port;
    let second: SessionResult | undefined;
    // s_server (no -listen) takes the next client once the first is gone: retried while it is not ready.
    for (let i = 0; i < 20 && second === undefined; i++) {
      try {
        second = await runBlockingClient<SessionResult>({ handler: fixture('session-client.mjs'), port, credentials: clientCredentials, session: first.session });
      } catch (err) {
        if (i === 19) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(second?.reused).toBe(true);
    expect(second?.reply).toBe('resume me');
  }, 30_000);
});
