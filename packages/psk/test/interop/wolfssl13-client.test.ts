/**
 * Our DTLS 1.3 client (connect with maxVersion 'DTLSv1.3', issue 17) against wolfSSL 5.5.4's
 * example server over UDP on 127.0.0.1, from its source root:
 *     ./examples/server/server -u -v 4 -l SUITE -s -p PORT -d -e -i
 * External PSK (RFC 8446 4.2.11: the examples' hard-coded 1.3 key, 0123456789abcdef four times,
 * identity Client_identity) with psk_dhe_ke; wolfSSL's server always sends a HelloRetryRequest
 * with a cookie first (RFC 9147 5.1), which our second ClientHello answers (new binder over
 * message_hash and the HelloRetryRequest). The server echoes (-e) what we send in epoch 3; we
 * check the suite it printed and the bytes that came back.
 */
import { beforeAll, describe, it } from 'vitest';
import { DtlsConnection } from '@dtls-kit/core';
import { WOLFSSL_PSK_13, WOLFSSL_PSK_IDENTITY, connectInteropClient, describePeerServer, startWolfsslServer, waitUntil, wolfsslRoot } from '@dtls-kit/test-kit';
import { pskClient } from '../../src/index.js';

/** wolfSSL's -l names of the TLS 1.3 suites with a SHA-256 hash (the external PSK's, RFC 8446 4.2.11) that need no quirk. */
const SUITES = {
  TLS_AES_128_GCM_SHA256: 'TLS13-AES128-GCM-SHA256',
  TLS_AES_128_CCM_SHA256: 'TLS13-AES128-CCM-SHA256',
} as const;

beforeAll(() => {
  wolfsslRoot();
}, 30 * 60_000);

describe.concurrent('our DTLS 1.3 client against wolfSSL 5.5.4 (PSK)', () => {
  for (const [iana, wolfssl] of Object.entries(SUITES)) {
    it(`${iana}: HelloRetryRequest, handshake, echo both ways`, async ({ expect }) => {
      const server = await startWolfsslServer({ version: '1.3', psk: true, cipher: wolfssl });
      try {
        const connection = DtlsConnection.client({
          psk: pskClient({ pskCallback: () => ({ identity: WOLFSSL_PSK_IDENTITY, psk: WOLFSSL_PSK_13 }) }),
          maxVersion: 'DTLSv1.3',
          cipherSuites: [iana],
        });
        const client = await connectInteropClient(connection, { port: server.port, timeoutMs: 8000 });
        const why = `${client.describeEvents()}\n${describePeerServer(server)}`;
        try {
          expect(client.established, why).toBe(true);
          expect(connection.protocol, why).toBe('DTLSv1.3');
          expect(connection.getCipher()?.standardName, why).toBe(iana);
          const messages = [`hello ${iana} over DTLS 1.3\n`, `second ${'z'.repeat(50)}\n`];
          expect(await client.exchange(messages), why).toBe(messages.join(''));
        } finally {
          await client.close();
        }
        await waitUntil(() => server.stdout().includes(`SSL cipher suite is ${iana}`), 3000);
        expect(server.stdout(), why).toContain('SSL version is DTLSv1.3');
      } finally {
        await server.stop();
      }
    });
  }
});
