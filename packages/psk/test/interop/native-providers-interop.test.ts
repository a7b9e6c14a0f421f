/**
 * The native providers on our side against OpenSSL over real UDP on 127.0.0.1, data both ways:
 * sodium-native with both ChaCha20-Poly1305 PSK suites (RFC 7905), and native-aead (OpenSSL EVP
 * through @dtls-kit/native-aead) with its three AEADs. Our client against `openssl s_server -dtls1_2
 * -accept 127.0.0.1:PORT -listen -no_ticket -cipher SUITE -psk 000102030405060708090a0b0c0d0e0f
 * -psk_identity Client_identity -nocert`, and `openssl s_client -dtls1_2 -connect 127.0.0.1:PORT
 * -no_ticket -nbio -cipher SUITE -psk ... -psk_identity Client_identity` against our server. Every
 * record we send is sealed by the native module, every record OpenSSL sends is opened by it. A
 * missing openssl binary fails these tests: it never skips them.
 */
import { describe, it } from 'vitest';
import { describePeerServer, interopMessages, runOpensslClient, startOpensslServer, type OpensslPskSuite } from '@dtls-kit/test-kit';
import { IDENTITY, PSK, runOurClient, startOurServer } from './our-side.js';

const PROVIDERS: readonly { provider: 'sodium' | 'native'; label: string; suites: readonly OpensslPskSuite[] }[] = [
  { provider: 'sodium', label: 'sodium-native', suites: ['PSK-CHACHA20-POLY1305', 'ECDHE-PSK-CHACHA20-POLY1305'] },
  { provider: 'native', label: 'native-aead', suites: ['PSK-AES128-GCM-SHA256', 'PSK-AES256-GCM-SHA384', 'ECDHE-PSK-CHACHA20-POLY1305'] },
];

for (const { provider, label, suites } of PROVIDERS) {
  describe.concurrent(`${label} provider: PSK interop with OpenSSL`, () => {
    for (const suite of suites) {
      it(`${suite}: our client (${label}) -> openssl s_server -listen`, async ({ expect }) => {
        const server = await startOpensslServer({ cipher: suite, psk: PSK, identity: IDENTITY });
        try {
          const messages = interopMessages(suite, 'openssl-server').map((m) => `${m}\n`);
          const result = await runOurClient({ port: server.port, suite, provider, messages });
          const why = `${result.events}\n${describePeerServer(server)}`;
          expect(result.suite, why).toBe(suite);
          expect(result.received, why).toBe(messages.join(''));
          expect(server.stdout(), why).toContain(messages.at(-1));
        } finally {
          await server.stop();
        }
      });

      it(`${suite}: openssl s_client -> our server (${label})`, async ({ expect }) => {
        const ours = await startOurServer({ suite, provider });
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
}
