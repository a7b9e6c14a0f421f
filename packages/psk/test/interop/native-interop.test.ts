/**
 * The native-aead provider (OpenSSL EVP through @dtls-kit/native-aead) on our side against OpenSSL
 * over real UDP on 127.0.0.1: its three AEADs (PSK-AES128-GCM-SHA256, PSK-AES256-GCM-SHA384,
 * ECDHE-PSK-CHACHA20-POLY1305), our client against `openssl s_server -dtls1_2 -accept
 * 127.0.0.1:PORT -listen -no_ticket -cipher SUITE -psk 000102030405060708090a0b0c0d0e0f
 * -psk_identity Client_identity -nocert` and `openssl s_client -dtls1_2 -connect 127.0.0.1:PORT
 * -no_ticket -nbio -cipher SUITE -psk ... -psk_identity Client_identity` against our server, data
 * both ways. Every record we send is sealed by the addon, every record OpenSSL sends is opened by
 * it. A missing openssl binary fails these tests: it never skips them.
 */
import { describe, it } from 'vitest';
import { describePeerServer, interopMessages, runOpensslClient, startOpensslServer, type OpensslPskSuite } from '@dtls-kit/test-kit';
import { IDENTITY, PSK, runOurClient, startOurServer } from './our-side.js';

const NATIVE_SUITES: readonly OpensslPskSuite[] = ['PSK-AES128-GCM-SHA256', 'PSK-AES256-GCM-SHA384', 'ECDHE-PSK-CHACHA20-POLY1305'];

describe.concurrent('native-aead provider: AES-GCM and ChaCha20-Poly1305 PSK interop with OpenSSL', () => {
  for (const suite of NATIVE_SUITES) {
    it(`${suite}: our client (native-aead) -> openssl s_server -listen`, async ({ expect }) => {
      const server = await startOpensslServer({ cipher: suite, psk: PSK, identity: IDENTITY });
      try {
        const messages = interopMessages(suite, 'openssl-server').map((m) => `${m}\n`);
        const result = await runOurClient({ port: server.port, suite, provider: 'native', messages });
        const why = `${result.events}\n${describePeerServer(server)}`;
        expect(result.suite, why).toBe(suite);
        expect(result.received, why).toBe(messages.join(''));
        expect(server.stdout(), why).toContain(messages.at(-1));
      } finally {
        await server.stop();
      }
    });

    it(`${suite}: openssl s_client -> our server (native-aead)`, async ({ expect }) => {
      const ours = await startOurServer({ suite, provider: 'native' });
      try {
        const messages = interopMessages(suite, 'openssl-client');
        const client = await runOpensslClient({ port: ours.port, cipher: suite, psk: PSK, identity: IDENTITY, messages });
        const why = `${ours.describe()}\n${JSON.stringify(client)}`;
        expect(client.echoed, why).toBe(true);
        expect(client.code, why).toBe(0);
        expect(client.cipher, why).toBe(suite);
        expect(ours.server.errors, why).toEqual([]);
        expect(ours.sessions, why).toHaveLength(1);
        expect(ours.sessions[0], why).toMatchObject({ handshake: true, suite, data: messages.map((m) => `${m}\n`).join(''), close: 'clean' });
      } finally {
        await ours.stop();
      }
    });
  }
});
