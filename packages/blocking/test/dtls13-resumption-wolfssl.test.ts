/**
 * DTLS 1.3 resumption (RFC 8446 2.2, 4.6.1) in the blocking runtime against wolfSSL 5.5.4 built
 * with session tickets (`scripts/peers/build-wolfssl.sh tickets`), from its source root, with its
 * hard-coded 1.3 PSK for the full handshake (0123456789abcdef x4):
 *   ./examples/client/client -u -v 4 -l TLS13-AES128-GCM-SHA256 -s -h 127.0.0.1 -p PORT -d -x -r
 *     against our blocking server (two workers: the ticket keys are shared by the workers, so
 *     whichever worker takes the second connection opens the first one's ticket); wolfSSL prints
 *     "reused session id", our handler sees isSessionReused() in its worker.
 *   ./examples/server/server -u -v 4 -l TLS13-AES128-GCM-SHA256 -s -p PORT -d -e -i
 *     our blocking client: getSession() after a round trip holds wolfSSL's ticket; `session`
 *     resumes (ticketPskLabel 'tls13': wolfSSL's "tls13 resumption" PSK label).
 * A failed wolfSSL build fails these tests (it never skips them).
 */
import { WOLFSSL_PSK_13, WOLFSSL_PSK_IDENTITY, describePeerClient, describePeerServer, runWolfsslClient, startWolfsslServer, until, wolfsslRoot, type PeerServer } from '@dtls-kit/test-kit';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createBlockingServer, runBlockingClient, type BlockingServer } from '../src/index.js';
import { fixture } from './helpers.js';

let server: BlockingServer | undefined;
let peer: PeerServer | undefined;
beforeAll(() => {
  wolfsslRoot('tickets');
}, 30 * 60_000);
afterEach(async () => {
  await server?.close();
  await peer?.stop();
  server = undefined;
  peer = undefined;
});

interface SessionResult {
  reply: string | null;
  session: Uint8Array | undefined;
  reused: boolean;
}

describe('blocking runtime, DTLS 1.3 resumption with wolfSSL 5.5.4 (session tickets)', () => {
  it("wolfSSL's client (-r) resumes with our blocking server, whichever worker takes it", async () => {
    server = createBlockingServer({
      handler: fixture('session-handler.mjs'),
      credentials: { psk: { keys: { Client_identitySHA256: WOLFSSL_PSK_13 } } },
      maxVersion: 'DTLSv1.3',
      maxThreads: 2,
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const client = await runWolfsslClient({ version: '1.3', variant: 'tickets', psk: true, cipher: 'TLS13-AES128-GCM-SHA256', port, resume: true, timeoutMs: 15_000 });
    const why = describePeerClient(client);
    expect(client.stdout, why).toContain('hello wolfssl! reused=false');
    expect(client.stdout, why).toContain('resuming wolfssl! reused=true');
    expect(client.stdout, why).toContain('reused session id');
    await until(() => server!.stats.completed === 2, 5000, 'both connections to end');
    expect(server.stats.handlerErrors).toBe(0);
  }, 30_000);

  it('our blocking client: getSession() holds the ticket of a wolfSSL server, `session` resumes it', async () => {
    peer = await startWolfsslServer({ version: '1.3', variant: 'tickets', psk: true, cipher: 'TLS13-AES128-GCM-SHA256' });
    const options = {
      handler: fixture('session-client.mjs'),
      port: peer.port,
      credentials: { psk: { identity: WOLFSSL_PSK_IDENTITY, key: WOLFSSL_PSK_13 } },
      maxVersion: 'DTLSv1.3',
      ticketPskLabel: 'tls13',
    } as const;
    const first = await runBlockingClient<SessionResult>(options);
    const why = (): string => describePeerServer(peer!);
    expect(first.reply, why()).toBe('resume me');
    expect(first.reused).toBe(false);
    expect(first.session, why()).toBeDefined();
    const second = await runBlockingClient<SessionResult>({ ...options, session: first.session });
    expect(second.reply, why()).toBe('resume me');
    expect(second.reused, why()).toBe(true);
  }, 30_000);
});
