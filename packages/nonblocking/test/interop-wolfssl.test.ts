/**
 * The non-blocking runtime against wolfSSL 5.5.4 over DTLS 1.2 PSK on 127.0.0.1 (issue 17), both
 * roles; run from wolfSSL's source root (its PSK is hard-coded: 1a2b3c4d, Client_identity):
 *   ./examples/client/client -u -v 3 -l PSK-AES128-GCM-SHA256 -s -h 127.0.0.1 -p PORT -d -x
 *   ./examples/server/server -u -v 3 -l ECDHE-PSK-AES128-GCM-SHA256 -s -p PORT -d -e -i
 * A failed wolfSSL build fails these tests (it never skips them).
 */
import { pskClient, pskServer } from '@dtls-kit/psk';
import {
  WOLFSSL_CLIENT_MESSAGE,
  WOLFSSL_PSK_12,
  WOLFSSL_PSK_IDENTITY,
  describePeerClient,
  runWolfsslClient,
  startWolfsslServer,
  wolfsslRoot,
  type PeerServer,
} from '@dtls-kit/test-kit';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, createServer, type DtlsServer, type DtlsSocket } from '../src/index.js';
import { echo, roundTrip, text, until } from './helpers.js';

let server: DtlsServer | undefined;
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

describe('non-blocking runtime with wolfSSL 5.5.4 (DTLS 1.2 PSK)', () => {
  it('our server, the wolfSSL client: its message echoed, then its close_notify', async () => {
    const accepted: DtlsSocket[] = [];
    const received: string[] = [];
    server = createServer({ psk: pskServer({ keys: { [WOLFSSL_PSK_IDENTITY]: WOLFSSL_PSK_12 } }) }, (s) => {
      accepted.push(s);
      s.on('message', (m) => received.push(text(m)));
      echo(s);
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const client = await runWolfsslClient({ version: '1.2', psk: true, cipher: 'PSK-AES128-GCM-SHA256', port });
    expect(client.echoed, describePeerClient(client)).toBe(true);
    expect(client.cipher).toBe('TLS_PSK_WITH_AES_128_GCM_SHA256');
    expect(accepted[0]?.pskIdentity).toBe(WOLFSSL_PSK_IDENTITY);
    expect(received).toEqual([WOLFSSL_CLIENT_MESSAGE]);
    await until(() => server!.stats.connections === 0, 5000, 'the connection to close');
  });

  it('our client, the wolfSSL echo server: ECDHE-PSK-AES128-GCM-SHA256 (RFC 8442)', async () => {
    peer = await startWolfsslServer({ version: '1.2', psk: true, cipher: 'ECDHE-PSK-AES128-GCM-SHA256' });
    const client = await connect({
      host: '127.0.0.1',
      port: peer.port,
      psk: pskClient({ identity: WOLFSSL_PSK_IDENTITY, key: WOLFSSL_PSK_12 }),
      cipherSuites: 'ECDHE-PSK-AES128-GCM-SHA256',
    });
    expect(client.getCipher().name).toBe('ECDHE-PSK-AES128-GCM-SHA256');
    expect(await roundTrip(client, 'hello from dtls-kit')).toBe('hello from dtls-kit');
    await client.close();
  });
});
