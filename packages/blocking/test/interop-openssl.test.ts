import { runOpensslClient, startOpensslServer, type PeerServer } from '@dtls-kit/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { createBlockingServer, runBlockingClient, type BlockingServer } from '../src/index.js';
import { IDENTITY, KEY, clientCredentials, fixture, serverCredentials, until, type RoundTripResult } from './helpers.js';

let server: BlockingServer | undefined;
let peer: PeerServer | undefined;
afterEach(async () => {
  await server?.close();
  await peer?.stop();
  server = undefined;
  peer = undefined;
});

describe('blocking runtime with OpenSSL (PSK)', () => {
  it('our blocking server, openssl s_client', async () => {
    server = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: serverCredentials, maxThreads: 2 });
    const { port } = await server.listen(0, '127.0.0.1');
    const result = await runOpensslClient({
      port,
      cipher: 'PSK-AES128-CCM8',
      psk: KEY,
      identity: IDENTITY,
      messages: ['hello from openssl', 'second line'],
    });
    expect(result.echoed, result.stdout + result.stderr).toBe(true);
    expect(result.cipher).toBe('PSK-AES128-CCM8');
    // s_client's close_notify ended the handler's loop (recv() returned null) and freed the worker.
    await until(() => server!.stats.completed === 1, 5000, 'connection to end');
    expect(server.stats.handlerErrors).toBe(0);
  });

  it('our blocking client, openssl s_server', async () => {
    peer = await startOpensslServer({ cipher: 'ECDHE-PSK-CHACHA20-POLY1305', psk: KEY, identity: IDENTITY });
    const r = await runBlockingClient<RoundTripResult>({
      handler: fixture('client-roundtrip.mjs'),
      port: peer.port,
      credentials: clientCredentials,
      args: { messages: ['hello from dtls-kit'] },
    });
    expect(r.cipher).toBe('ECDHE-PSK-CHACHA20-POLY1305');
    expect(r.replies).toEqual(['hello from dtls-kit']);
  });
});
