/**
 * Our DTLS 1.3 server (RFC 9147) in the non-blocking runtime against wolfSSL 5.5.4's example
 * client on 127.0.0.1 (issue 17): the stateless HelloRetryRequest with our cookie, then the whole
 * 1.3 handshake and an echo. Run from wolfSSL's source root; its 1.3 PSK is hard-coded
 * (0123456789abcdef x4) and its identity is Client_identity followed by the suite's hash
 * ("Client_identitySHA256", its my_psk_client_cs_cb):
 *   ./examples/client/client -u -v 4 -l TLS13-AES128-GCM-SHA256 -s -h 127.0.0.1 -p PORT -d -x
 * A failed wolfSSL build fails these tests (it never skips them).
 */
import { pskServer } from '@dtls-kit/psk';
import { WOLFSSL_CLIENT_MESSAGE, WOLFSSL_PSK_13, describePeerClient, runWolfsslClient, wolfsslRoot } from '@dtls-kit/test-kit';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type DtlsServer, type DtlsSocket } from '../src/index.js';
import { echo, text } from './helpers.js';

let server: DtlsServer | undefined;
beforeAll(() => {
  wolfsslRoot();
}, 30 * 60_000);
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('non-blocking DTLS 1.3 server with the wolfSSL 5.5.4 client', () => {
  it('PSK (TLS13-AES128-GCM-SHA256, psk_dhe_ke): its message echoed', async () => {
    const accepted: DtlsSocket[] = [];
    const received: string[] = [];
    server = createServer({ maxVersion: 'DTLSv1.3', psk: pskServer({ keys: { Client_identitySHA256: WOLFSSL_PSK_13 } }) }, (s) => {
      accepted.push(s);
      s.on('message', (m) => received.push(text(m)));
      echo(s);
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const client = await runWolfsslClient({ version: '1.3', psk: true, cipher: 'TLS13-AES128-GCM-SHA256', port });
    expect(client.echoed, describePeerClient(client)).toBe(true);
    expect(client.version).toBe('DTLSv1.3');
    expect(client.cipher).toBe('TLS_AES_128_GCM_SHA256');
    expect(received).toEqual([WOLFSSL_CLIENT_MESSAGE]);
  }, 30_000);
});
