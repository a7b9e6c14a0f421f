/**
 * CBC suites (RFC 5246 6.2.3.2) against OpenSSL 3.0 and GnuTLS 3.7 over real UDP on 127.0.0.1,
 * both roles, with encrypt-then-MAC (RFC 7366, both peers' default) and without it
 * (MAC-then-encrypt: `-no_etm` on s_server/s_client, `%NO_ETM` in GnuTLS priority strings):
 * TLS_PSK_WITH_AES_128_CBC_SHA256 (LwM2M 1.0's mandatory suite) and
 * TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256. Application data goes both ways in every cell, and our
 * side reports whether encrypt-then-MAC is in force, so each cell proves the record format it
 * names. The exact peer command lines (s_server/s_client/gnutls-serv/gnutls-cli) are those built
 * by @dtls-kit/test-kit's peers/openssl.ts and peers/gnutls.ts from the options below, e.g.:
 *
 *   openssl s_server -dtls1_2 -accept 127.0.0.1:PORT -listen -no_ticket -cipher PSK-AES128-CBC-SHA256 \
 *     -psk 000102030405060708090a0b0c0d0e0f -psk_identity Client_identity -nocert -quiet [-no_etm]
 *   openssl s_client -dtls1_2 -connect 127.0.0.1:PORT -no_ticket -nbio -cipher PSK-AES128-CBC-SHA256 \
 *     -psk 000102030405060708090a0b0c0d0e0f -psk_identity Client_identity -no-CAfile -no-CApath -no-CAstore [-no_etm] -no_ign_eof
 *   gnutls-serv --udp -p PORT --noticket --priority \
 *     'NORMAL:-VERS-ALL:+VERS-DTLS1.2:-KX-ALL:+PSK:-CIPHER-ALL:+AES-128-CBC:-MAC-ALL:+SHA256[:%NO_ETM]' -a --echo --pskpasswd FILE
 *   gnutls-cli --udp -p PORT --priority '...same...' --pskusername Client_identity --pskkey 0001...0f --insecure 127.0.0.1
 *
 * A missing peer binary fails these tests: it never skips them.
 */
import { DtlsConnection, ServerEndpoint, nobleCryptoProvider, nodeCryptoProvider, type DtlsError } from '@dtls-kit/core';
import {
  connectInteropClient,
  describePeerClient,
  describePeerServer,
  gnutlsCbcPriority,
  interopMessages,
  requireInteropPeers,
  runGnutlsClient,
  runOpensslClient,
  startGnutlsServer,
  startInteropServer,
  startOpensslServer,
  type InteropServer,
  type PeerServer,
} from '@dtls-kit/test-kit';
import { describe, expect, it, type ExpectStatic } from 'vitest';
import { pskClient, pskServer } from '../../src/index.js';
import { IDENTITY, PSK } from './our-side.js';

const SUITES = ['PSK-AES128-CBC-SHA256', 'ECDHE-PSK-AES128-CBC-SHA256'] as const;
type Suite = (typeof SUITES)[number];

/** The noble provider on one suite, node:crypto on the other: both CBC implementations meet both peers. */
const PROVIDER = { 'PSK-AES128-CBC-SHA256': nodeCryptoProvider, 'ECDHE-PSK-AES128-CBC-SHA256': nobleCryptoProvider } as const;

type OurServer = InteropServer<DtlsConnection, DtlsError, { encryptThenMac: () => boolean }>;

function startOurServer(suite: Suite): Promise<OurServer> {
  const endpoint = new ServerEndpoint({ psk: pskServer({ keys: { [IDENTITY]: PSK } }), cipherSuites: suite, provider: PROVIDER[suite] });
  return startInteropServer(endpoint, { details: (c) => ({ encryptThenMac: () => c.encryptThenMac }) });
}

async function ourClientAgainst(server: PeerServer, suite: Suite, etm: boolean, messages: readonly string[], expect: ExpectStatic): Promise<void> {
  const connection = DtlsConnection.client({
    psk: pskClient({ identity: IDENTITY, key: PSK }),
    cipherSuites: suite,
    provider: PROVIDER[suite],
  });
  const client = await connectInteropClient(connection, { port: server.port });
  try {
    const why = `${client.describeEvents()}\n${describePeerServer(server)}`;
    expect(client.established, why).toBe(true);
    expect(connection.cipherSuite?.opensslName, why).toBe(suite);
    // Our client always offers encrypt_then_mac with a CBC suite: the peer's setting decides.
    expect(connection.encryptThenMac, why).toBe(etm);
    expect(await client.exchange(messages), why).toBe(messages.join(''));
    expect(connection.stats.badMac, why).toBe(0);
  } finally {
    await client.close();
  }
}

function expectServed(ours: OurServer, suite: Suite, etm: boolean, messages: readonly string[], why: string, expect: ExpectStatic): void {
  expect(ours.server.errors, why).toEqual([]);
  expect(ours.sessions, why).toHaveLength(1);
  const [session] = ours.sessions;
  expect(session?.handshake, why).toBe(true);
  expect(session?.suite, why).toBe(suite);
  expect(session?.data, why).toBe(messages.map((m) => `${m}\n`).join(''));
  expect(session?.encryptThenMac(), why).toBe(etm);
}

describe('peer binaries', () => {
  it('openssl, gnutls-serv and gnutls-cli are installed (interop never skips)', () => {
    for (const path of requireInteropPeers()) expect(path).toMatch(/\//);
  });
});

describe.concurrent('DTLS 1.2 PSK CBC interop over UDP', () => {
  for (const suite of SUITES) {
    for (const etm of [true, false]) {
      const mode = etm ? 'encrypt-then-MAC' : 'MAC-then-encrypt';
      const noEtm = etm ? [] : ['-no_etm'];
      describe(`${suite}, ${mode}`, () => {
        it('our client -> openssl s_server -listen', async ({ expect }) => {
          const server = await startOpensslServer({ cipher: suite, psk: PSK, identity: IDENTITY, extraArgs: noEtm });
          try {
            const messages = interopMessages(suite, 'openssl-server').map((m) => `${m}\n`);
            await ourClientAgainst(server, suite, etm, messages, expect);
          } finally {
            await server.stop();
          }
        });

        it('openssl s_client -> our server', async ({ expect }) => {
          const ours = await startOurServer(suite);
          try {
            const messages = interopMessages(suite, 'openssl-client');
            const client = await runOpensslClient({ port: ours.port, cipher: suite, psk: PSK, identity: IDENTITY, messages, extraArgs: noEtm });
            const why = `${ours.describe()}\n${describePeerClient(client)}`;
            expect(client.echoed, why).toBe(true);
            expect(client.code, why).toBe(0);
            expect(client.cipher, why).toBe(suite);
            expectServed(ours, suite, etm, messages, why, expect);
          } finally {
            await ours.stop();
          }
        });

        it('our client -> gnutls-serv --echo', async ({ expect }) => {
          const server = await startGnutlsServer({ priority: gnutlsCbcPriority(suite, etm), psk: PSK, identity: IDENTITY });
          try {
            await ourClientAgainst(server, suite, etm, interopMessages(suite, 'gnutls-server'), expect);
          } finally {
            await server.stop();
          }
        });

        // gnutls-cli 3.7.9 segfaults in its own info printer right after a successful ECDHE-PSK
        // handshake (peers.md): ECDHE-PSK meets GnuTLS as the server only (the cell above).
        if (suite === 'PSK-AES128-CBC-SHA256') {
          it('gnutls-cli --udp -> our server', async ({ expect }) => {
            const ours = await startOurServer(suite);
            try {
              const messages = interopMessages(suite, 'gnutls-client');
              const client = await runGnutlsClient({ port: ours.port, priority: gnutlsCbcPriority(suite, etm), psk: PSK, identity: IDENTITY, messages });
              const why = `${ours.describe()}\n${describePeerClient(client)}`;
              expect(client.echoed, why).toBe(true);
              expect(client.code, why).toBe(0);
              expect(client.description, why).toContain('-(PSK)-(AES-128-CBC)-(SHA256)');
              // gnutls-cli lists "EtM" among the session's options when RFC 7366 is in force.
              expect(/- Options: .*/.exec(client.stdout)?.[0].includes('EtM'), why).toBe(etm);
              expectServed(ours, suite, etm, messages, why, expect);
            } finally {
              await ours.stop();
            }
          });
        }
      });
    }
  }
});
