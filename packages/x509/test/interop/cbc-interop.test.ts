/**
 * The ECDHE_ECDSA CBC suites (RFC 5289: TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256 and
 * TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384) against OpenSSL 3.0 and GnuTLS 3.7 over real UDP on
 * 127.0.0.1, both roles, with encrypt-then-MAC (RFC 7366, both peers' default) and without it
 * (`-no_etm` on s_server/s_client, `%NO_ETM` in the GnuTLS priority string). Application data goes
 * both ways; our side reports whether encrypt-then-MAC is in force. The command lines are those
 * @dtls-kit/test-kit's peers/openssl.ts and peers/gnutls.ts build from the options below, e.g.:
 *
 *   openssl s_server -dtls1_2 -accept 127.0.0.1:PORT -listen -no_ticket -cipher ECDHE-ECDSA-AES256-SHA384 \
 *     -cert server.leaf.pem -key server.key -quiet -cert_chain intermediates.pem [-no_etm]
 *   openssl s_client -dtls1_2 -connect 127.0.0.1:PORT -no_ticket -nbio -cipher ECDHE-ECDSA-AES128-SHA256 \
 *     -CAfile ca.pem -verify_return_error -verify_hostname localhost [-no_etm] -no_ign_eof
 *   gnutls-serv --udp -p PORT --noticket --priority \
 *     'NORMAL:-VERS-ALL:+VERS-DTLS1.2:-KX-ALL:+ECDHE-ECDSA:-CIPHER-ALL:+AES-256-CBC:-MAC-ALL:+SHA384[:%NO_ETM]' \
 *     --echo --x509certfile chain.pem --x509keyfile server.key --disable-client-cert
 *   gnutls-cli --udp -p PORT --priority '...' --x509cafile ca.pem --verify-hostname localhost 127.0.0.1
 *
 * A missing peer binary fails these tests: it never skips them.
 */
import {
  describePeerClient,
  describePeerServer,
  gnutlsCbcPriority,
  interopMessages,
  requireInteropPeers,
  runGnutlsClient,
  runOpensslClient,
  startGnutlsServer,
  startOpensslServer,
  type PeerServer,
} from '@dtls-kit/test-kit';
import { afterAll, beforeAll, describe, it, type ExpectStatic } from 'vitest';
import { x509Client, x509Server } from '../../src/index.js';
import { connectOurClient, startOurServer, type OurServer, type ProviderName } from './our-side.js';
import { makeInteropPki, type InteropPki } from './pki.js';

const SUITES = ['ECDHE-ECDSA-AES128-SHA256', 'ECDHE-ECDSA-AES256-SHA384'] as const;
type Suite = (typeof SUITES)[number];
const PROVIDER: Record<Suite, ProviderName> = { 'ECDHE-ECDSA-AES128-SHA256': 'noble', 'ECDHE-ECDSA-AES256-SHA384': 'node' };
/** The end of gnutls-cli's session description, e.g. (DTLS1.2-X.509)-(ECDHE-X25519)-(ECDSA-SHA256)-(AES-256-CBC)-(SHA384). */
const GNUTLS_NAME: Record<Suite, string> = { 'ECDHE-ECDSA-AES128-SHA256': '-(AES-128-CBC)-(SHA256)', 'ECDHE-ECDSA-AES256-SHA384': '-(AES-256-CBC)-(SHA384)' };

let pki: InteropPki;

beforeAll(async () => {
  requireInteropPeers();
  pki = await makeInteropPki();
}, 60_000);

afterAll(() => pki?.remove());

async function ourClientAgainst(server: PeerServer, suite: Suite, etm: boolean, messages: readonly string[], expect: ExpectStatic): Promise<void> {
  const client = await connectOurClient({ port: server.port, servername: 'localhost', suite, provider: PROVIDER[suite], x509: x509Client({ ca: pki.ecdsa.caPem }) });
  try {
    const why = `${client.describeEvents()}\n${describePeerServer(server)}`;
    expect(client.established, why).toBe(true);
    expect(client.connection.cipherSuite?.opensslName, why).toBe(suite);
    expect(client.connection.encryptThenMac, why).toBe(etm);
    expect(await client.exchange(messages), why).toBe(messages.join(''));
    expect(client.connection.stats.badMac, why).toBe(0);
  } finally {
    await client.close();
  }
}

function expectServed(ours: OurServer, suite: Suite, messages: readonly string[], why: string, expect: ExpectStatic): void {
  expect(ours.server.errors, why).toEqual([]);
  expect(ours.sessions, why).toHaveLength(1);
  const [session] = ours.sessions;
  expect(session?.handshake, why).toBe(true);
  expect(session?.suite, why).toBe(suite);
  expect(session?.data, why).toBe(messages.map((m) => `${m}\n`).join(''));
}

describe.concurrent('DTLS 1.2 ECDHE_ECDSA CBC interop over UDP', () => {
  for (const suite of SUITES) {
    for (const etm of [true, false]) {
      const noEtm = etm ? [] : ['-no_etm'];
      describe(`${suite}, ${etm ? 'encrypt-then-MAC' : 'MAC-then-encrypt'}`, () => {
        it('our client -> openssl s_server -listen', async ({ expect }) => {
          const h = pki.ecdsa;
          const chain = h.server.intermediatesFile === undefined ? [] : ['-cert_chain', h.server.intermediatesFile];
          const server = await startOpensslServer({ cipher: suite, cert: h.server.leafFile, key: h.server.keyFile, extraArgs: [...chain, ...noEtm] });
          try {
            await ourClientAgainst(server, suite, etm, interopMessages(suite, 'openssl-server').map((m) => `${m}\n`), expect);
          } finally {
            await server.stop();
          }
        });

        it('openssl s_client -> our server', async ({ expect }) => {
          const h = pki.ecdsa;
          const ours = await startOurServer({ suite, provider: PROVIDER[suite], x509: x509Server({ key: h.server.keyPem, cert: h.server.chainPem }) });
          try {
            const messages = interopMessages(suite, 'openssl-client');
            const client = await runOpensslClient({ port: ours.port, cipher: suite, caFile: h.caFile, verifyHostname: 'localhost', messages, extraArgs: noEtm });
            const why = `${ours.describe()}\n${describePeerClient(client)}`;
            expect(client.echoed, why).toBe(true);
            expect(client.code, why).toBe(0);
            expect(client.cipher, why).toBe(suite);
            // s_client prints the RFC 7366 state of the session it made.
            expectServed(ours, suite, messages, why, expect);
          } finally {
            await ours.stop();
          }
        });

        it('our client -> gnutls-serv --echo', async ({ expect }) => {
          const h = pki.ecdsa;
          const server = await startGnutlsServer({ priority: gnutlsCbcPriority(suite, etm), cert: h.server.chainFile, key: h.server.keyFile, extraArgs: ['--disable-client-cert'] });
          try {
            await ourClientAgainst(server, suite, etm, interopMessages(suite, 'gnutls-server'), expect);
          } finally {
            await server.stop();
          }
        });

        it('gnutls-cli --udp -> our server', async ({ expect }) => {
          const h = pki.ecdsa;
          const ours = await startOurServer({ suite, provider: PROVIDER[suite], x509: x509Server({ key: h.server.keyPem, cert: h.server.chainPem }) });
          try {
            const messages = interopMessages(suite, 'gnutls-client');
            const client = await runGnutlsClient({ port: ours.port, priority: gnutlsCbcPriority(suite, etm), caFile: h.caFile, verifyHostname: 'localhost', messages });
            const why = `${ours.describe()}\n${describePeerClient(client)}`;
            expect(client.echoed, why).toBe(true);
            expect(client.code, why).toBe(0);
            expect(client.description, why).toContain(GNUTLS_NAME[suite]);
            // gnutls-cli lists "EtM" among the session's options when RFC 7366 is in force.
            expect(/- Options: .*/.exec(client.stdout)?.[0].includes('EtM'), why).toBe(etm);
            expect(ours.sessions[0]?.suite, why).toBe(suite);
            expectServed(ours, suite, messages, why, expect);
          } finally {
            await ours.stop();
          }
        });
      });
    }
  }
});
