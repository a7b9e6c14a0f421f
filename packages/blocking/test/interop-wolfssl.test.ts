/**
 * The blocking runtime against wolfSSL 5.5.4 over DTLS 1.2 PSK on 127.0.0.1 (issue 17), both
 * roles; run from wolfSSL's source root (its PSK is hard-coded: 1a2b3c4d, Client_identity):
 *   ./examples/client/client -u -v 3 -l PSK-AES128-CCM-8 -s -h 127.0.0.1 -p PORT -d -x
 *   ./examples/server/server -u -v 3 -l PSK-CHACHA20-POLY1305 -s -p PORT -d -e -i
 * A failed wolfSSL build fails these tests (it never skips them).
 */
import {
  WOLFSSL_PSK_12,
  WOLFSSL_PSK_13,
  WOLFSSL_PSK_IDENTITY,
  describePeerClient,
  runWolfsslClient,
  startWolfsslServer,
  wolfsslRoot,
  type PeerServer,
} from '@dtls-kit/test-kit';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createBlockingServer, runBlockingClient, type BlockingServer } from '../src/index.js';
import { fixture, until, type RoundTripResult } from './helpers.js';

let server: BlockingServer | undefined;
let peer: PeerServer | undefined;
beforeAll(() => {
  wolfsslRoot();
}, 30 * 60_000);
afterEach(async () => {
  await server?.close();
  await peer?.stop();
  server = undefined;
  peer = undefined;
});

describe('blocking runtime with wolfSSL 5.5.4 (DTLS 1.2 PSK)', () => {
  it('our blocking server, the wolfSSL client', async () => {
    server = createBlockingServer({
      handler: fixture('echo-handler.mjs'),
      credentials: { psk: { keys: { [WOLFSSL_PSK_IDENTITY]: WOLFSSL_PSK_12 } } },
      maxThreads: 2,
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const client = await runWolfsslClient({ version: '1.2', psk: true, cipher: 'PSK-AES128-CCM-8', port });
    expect(client.echoed, describePeerClient(client)).toBe(true);
    expect(client.cipher).toBe('TLS_PSK_WITH_AES_128_CCM_8');
    // Its close_notify ended the handler's loop (recv() returned null) and freed the worker.
    await until(() => server!.stats.completed === 1, 5000, 'connection to end');
    expect(server.stats.handlerErrors).toBe(0);
  });

  it('our blocking client, the wolfSSL echo server', async () => {
    peer = await startWolfsslServer({ version: '1.2', psk: true, cipher: 'PSK-CHACHA20-POLY1305' });
    const r = await runBlockingClient<RoundTripResult>({
      handler: fixture('client-roundtrip.mjs'),
      port: peer.port,
      credentials: { psk: { identity: WOLFSSL_PSK_IDENTITY, key: WOLFSSL_PSK_12 } },
      args: { messages: ['hello from dtls-kit', 'second line'] },
    });
    expect(r.cipher).toBe('PSK-CHACHA20-POLY1305');
    expect(r.replies).toEqual(['hello from dtls-kit', 'second line']);
  });
});

describe('blocking runtime with wolfSSL 5.5.4 (DTLS 1.3 PSK)', () => {
  // ./examples/client/client -u -v 4 -l TLS13-AES128-GCM-SHA256 -s -h 127.0.0.1 -p PORT -d -x
  it('our blocking server with maxVersion DTLSv1.3: stateless HelloRetryRequest in the main thread, the 1.3 handshake in a worker', async () => {
    server = createBlockingServer({
      handler: fixture('echo-handler.mjs'),
      // wolfSSL's 1.3 identity carries the suite's hash (its my_psk_client_cs_cb).
      credentials: { psk: { keys: { Client_identitySHA256: WOLFSSL_PSK_13 } } },
      maxVersion: 'DTLSv1.3',
      maxThreads: 2,
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const client = await runWolfsslClient({ version: '1.3', psk: true, cipher: 'TLS13-AES128-GCM-SHA256', port });
    expect(client.echoed, describePeerClient(client)).toBe(true);
    expect(client.version).toBe('DTLSv1.3');
    expect(client.cipher).toBe('TLS_AES_128_GCM_SHA256');
    await until(() => server!.stats.completed === 1, 5000, 'connection to end');
    expect(server.stats.handlerErrors).toBe(0);
  });
});
