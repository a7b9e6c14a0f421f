/**
 * The blocking runtime's client with maxVersion 'DTLSv1.3' against wolfSSL 5.5.4's example server
 * in DTLS 1.3 (issue 17), from its source root (1.3 PSK hard-coded: 0123456789abcdef four times,
 * identity Client_identity):
 *   ./examples/server/server -u -v 4 -l TLS13-AES128-GCM-SHA256 -s -p PORT -d -e -i
 * The handshake and the echo run in the worker. A failed wolfSSL build fails this test.
 */
import { WOLFSSL_PSK_13, WOLFSSL_PSK_IDENTITY, startWolfsslServer, wolfsslRoot, type PeerServer } from '@dtls-kit/test-kit';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runBlockingClient } from '../src/index.js';
import { fixture, type RoundTripResult } from './helpers.js';

let peer: PeerServer | undefined;
beforeAll(() => {
  wolfsslRoot();
}, 30 * 60_000);
afterEach(async () => {
  await peer?.stop();
  peer = undefined;
});

describe('blocking runtime, DTLS 1.3 client, with wolfSSL 5.5.4', () => {
  it('PSK TLS_AES_128_GCM_SHA256: the worker handshakes in DTLS 1.3 and echoes', async () => {
    peer = await startWolfsslServer({ version: '1.3', psk: true, cipher: 'TLS13-AES128-GCM-SHA256' });
    const r = await runBlockingClient<RoundTripResult>({
      handler: fixture('client-roundtrip.mjs'),
      port: peer.port,
      credentials: { psk: { identity: WOLFSSL_PSK_IDENTITY, key: WOLFSSL_PSK_13 } },
      maxVersion: 'DTLSv1.3',
      args: { messages: ['hello from a blocking DTLS 1.3 client', 'second line'] },
    });
    // A TLS 1.3 suite has one name (RFC 8446 B.4).
    expect(r.cipher).toBe('TLS_AES_128_GCM_SHA256');
    expect(r.replies).toEqual(['hello from a blocking DTLS 1.3 client', 'second line']);
  });

  it("keyUpdate.afterRecords 8 (RFC 9147 4.5.3): the worker's engine sends a KeyUpdate by itself and wolfSSL echoes on", async () => {
    peer = await startWolfsslServer({ version: '1.3', psk: true, cipher: 'TLS13-AES128-GCM-SHA256' });
    const messages = Array.from({ length: 14 }, (_, i) => `message ${i}`);
    const r = await runBlockingClient<RoundTripResult>({
      handler: fixture('client-roundtrip.mjs'),
      port: peer.port,
      credentials: { psk: { identity: WOLFSSL_PSK_IDENTITY, key: WOLFSSL_PSK_13 } },
      maxVersion: 'DTLSv1.3',
      // One update (epoch 3 to 4): the worker reads wolfSSL's ACK only inside recv(), so its next
      // message may still go out in epoch 3, which wolfSSL 5.5.4 keeps reading; from epoch 4 on it
      // drops our old-epoch records once it has the new keys (nonblocking/test/dtls13-key-update-wolfssl.test.ts).
      keyUpdate: { afterRecords: 8 },
      args: { messages },
    });
    expect(r.replies).toEqual(messages);
  });
});
