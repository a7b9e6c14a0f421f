/**
 * The blocking runtime with wolfSSL 5.5.4 in DTLS 1.3, the suites and groups that need options
 * (the whole matrix runs in the non-blocking runtime: nonblocking/test/dtls13-wolfssl-matrix.test.ts),
 * from wolfSSL's source root:
 *   ./examples/server/server -u -v 4 -l TLS13-CHACHA20-POLY1305-SHA256 -s -p PORT -d -e -i
 *   ./examples/client/client -u -v 4 -l TLS13-AES256-GCM-SHA384 -s -h 127.0.0.1 -p PORT -d -x
 * - our worker client with TLS_CHACHA20_POLY1305_SHA256, chacha20MaskCounter 'big-endian' (wolfSSL
 *   5.5.4 reads RFC 9147 4.2.3's ChaCha20 mask counter big-endian) and a P-384 key share;
 * - our server with groups ['secp384r1']: its main thread's stateless cookie check answers
 *   wolfSSL's P-256 share with a HelloRetryRequest asking for P-384 (RFC 8446 4.1.4), and the
 *   worker finishes the handshake in that group (wolfSSL prints "SSL curve name is SECP384R1").
 */
import { WOLFSSL_PSK_13, WOLFSSL_PSK_IDENTITY, describePeerClient, runWolfsslClient, startWolfsslServer, until, waitUntil, wolfsslRoot, type PeerServer } from '@dtls-kit/test-kit';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createBlockingServer, runBlockingClient, type BlockingServer } from '../src/index.js';
import { fixture, type RoundTripResult } from './helpers.js';

let peer: PeerServer | undefined;
let server: BlockingServer | undefined;
beforeAll(() => {
  wolfsslRoot();
}, 30 * 60_000);
afterEach(async () => {
  await peer?.stop();
  peer = undefined;
  await server?.close();
  server = undefined;
});

describe('blocking runtime, DTLS 1.3 suites and groups with wolfSSL 5.5.4', () => {
  it('our client: TLS_CHACHA20_POLY1305_SHA256 with chacha20MaskCounter big-endian, a P-384 share', async () => {
    peer = await startWolfsslServer({ version: '1.3', psk: true, cipher: 'TLS13-CHACHA20-POLY1305-SHA256' });
    const r = await runBlockingClient<RoundTripResult>({
      handler: fixture('client-roundtrip.mjs'),
      port: peer.port,
      credentials: { psk: { identity: WOLFSSL_PSK_IDENTITY, key: WOLFSSL_PSK_13 } },
      maxVersion: 'DTLSv1.3',
      cipherSuites: ['TLS_CHACHA20_POLY1305_SHA256'],
      groups: ['secp384r1'],
      chacha20MaskCounter: 'big-endian',
      args: { messages: ['chacha over DTLS 1.3', 'second line'] },
    });
    expect(r.cipher).toBe('TLS_CHACHA20_POLY1305_SHA256');
    expect(r.replies).toEqual(['chacha over DTLS 1.3', 'second line']);
    await waitUntil(() => peer!.stdout().includes('SSL curve name is SECP384R1'), 3000).catch(() => undefined);
    expect(peer.stdout()).toContain('SSL curve name is SECP384R1');
  });

  it("our server with groups ['secp384r1']: the main thread's HelloRetryRequest asks wolfSSL for P-384; TLS_AES_256_GCM_SHA384 with its SHA-384 PSK", async () => {
    server = createBlockingServer({
      handler: fixture('echo-handler.mjs'),
      credentials: { psk: { keys: { Client_identitySHA384: WOLFSSL_PSK_13 } } },
      maxVersion: 'DTLSv1.3',
      minVersion: 'DTLSv1.3',
      groups: ['secp384r1'],
      maxThreads: 2,
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const client = await runWolfsslClient({ version: '1.3', psk: true, cipher: 'TLS13-AES256-GCM-SHA384', port });
    const why = describePeerClient(client);
    expect(client.echoed, why).toBe(true);
    expect(client.cipher, why).toBe('TLS_AES_256_GCM_SHA384');
    expect(client.stdout, why).toContain('SSL curve name is SECP384R1');
    await until(() => server!.stats.completed === 1, 5000, 'connection to end');
    expect(server.stats.handlerErrors).toBe(0);
  });
});
