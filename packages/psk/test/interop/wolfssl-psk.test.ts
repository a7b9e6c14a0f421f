/**
 * DTLS 1.2 PSK interop with wolfSSL 5.5.4 (issue 17) over real UDP on 127.0.0.1, both roles:
 * - our client -> wolfSSL's example server, from its source root:
 *     ./examples/server/server -u -v 3 -p PORT -l SUITE -s -d -e -i
 * - wolfSSL's example client -> our server:
 *     ./examples/client/client -u -v 3 -l SUITE -s -h 127.0.0.1 -p PORT -d -x
 * The examples' PSK is hard-coded: 1a2b3c4d for DTLS 1.2, identity Client_identity. The server
 * echoes (-e); the client sends "hello wolfssl!" and prints the reply. wolfSSL is built once
 * from Debian's source by scripts/peers/build-wolfssl.sh (`make peers`); a failed build fails
 * these tests, it never skips them.
 *
 * `make test` runs a slice (QUICK); WOLFSSL_MATRIX=full runs every PSK suite both sides have.
 * ECDHE-PSK-AES128-GCM-SHA256 (RFC 8442) meets a real peer only here: neither OpenSSL 3.0 nor
 * GnuTLS 3.7 has it.
 */
import { beforeAll, describe, it } from 'vitest';
import {
  WOLFSSL_CLIENT_MESSAGE,
  WOLFSSL_PSK_12,
  WOLFSSL_PSK_IDENTITY,
  describePeerClient,
  describePeerServer,
  runWolfsslClient,
  startWolfsslServer,
  waitUntil,
  wolfsslRoot,
} from '@dtls-kit/test-kit';
import { cipherSuiteByName } from '@dtls-kit/core';
import { runOurClient, startOurServer } from './our-side.js';

/** Our suites (OpenSSL names) that wolfSSL 5.5.4 offers in DTLS 1.2, with its names for them. */
const SUITES = {
  'PSK-AES128-GCM-SHA256': 'PSK-AES128-GCM-SHA256',
  'PSK-AES256-GCM-SHA384': 'PSK-AES256-GCM-SHA384',
  'PSK-AES128-CCM': 'PSK-AES128-CCM',
  'PSK-AES128-CCM8': 'PSK-AES128-CCM-8',
  'PSK-CHACHA20-POLY1305': 'PSK-CHACHA20-POLY1305',
  'ECDHE-PSK-CHACHA20-POLY1305': 'ECDHE-PSK-CHACHA20-POLY1305',
  'ECDHE-PSK-AES128-GCM-SHA256': 'ECDHE-PSK-AES128-GCM-SHA256',
  'PSK-AES128-CBC-SHA256': 'PSK-AES128-CBC-SHA256',
  'ECDHE-PSK-AES128-CBC-SHA256': 'ECDHE-PSK-AES128-CBC-SHA256',
} as const;
type Suite = keyof typeof SUITES;

const QUICK: readonly Suite[] = ['PSK-AES128-GCM-SHA256', 'PSK-AES128-CCM8', 'ECDHE-PSK-AES128-GCM-SHA256'];
const RUN: readonly Suite[] = process.env['WOLFSSL_MATRIX'] === 'full' ? (Object.keys(SUITES) as Suite[]) : QUICK;

function ianaName(suite: Suite): string {
  const found = cipherSuiteByName(suite);
  if (found === undefined) throw new Error(`${suite} is not in our registry`);
  return found.name;
}

beforeAll(() => {
  wolfsslRoot();
}, 30 * 60_000);

describe.concurrent('DTLS 1.2 PSK interop with wolfSSL 5.5.4', () => {
  for (const suite of RUN) {
    describe(suite, () => {
      it('our client -> wolfSSL server -e', async ({ expect }) => {
        const server = await startWolfsslServer({ version: '1.2', psk: true, cipher: SUITES[suite] });
        try {
          const messages = [`hello ${suite} wolfssl-server\n`, `second ${'x'.repeat(40)}\n`, `third ${suite}\n`];
          const result = await runOurClient({ port: server.port, suite, psk: WOLFSSL_PSK_12, identity: WOLFSSL_PSK_IDENTITY, messages }).catch(
            (error: unknown) => {
              throw new Error(`${String(error)}\n${describePeerServer(server)}`);
            },
          );
          const why = `${result.events}\n${describePeerServer(server)}`;
          expect(result.suite, why).toBe(suite);
          expect(result.received, why).toBe(messages.join(''));
          // wolfSSL's server does the cookie exchange (RFC 6347 4.2.1) by default.
          expect(result.fragments.cookieExchange.helloVerifyRequests, why).toBeGreaterThanOrEqual(1);
          // Its stdout comes through a pipe, maybe after the echo came through the socket.
          const printed = `SSL cipher suite is ${ianaName(suite)}`;
          await waitUntil(() => server.stdout().includes(printed), 3000);
          expect(server.stdout(), why).toContain('SSL version is DTLSv1.2');
          expect(server.stdout(), why).toContain(printed);
        } finally {
          await server.stop();
        }
      });

      it('wolfSSL client -> our server', async ({ expect }) => {
        const ours = await startOurServer({ suite, psk: WOLFSSL_PSK_12, identities: [WOLFSSL_PSK_IDENTITY] });
        try {
          const client = await runWolfsslClient({ version: '1.2', psk: true, cipher: SUITES[suite], port: ours.port });
          await ours.waitForClose();
          const why = `${ours.describe()}\n${describePeerClient(client)}`;
          expect(client.code, why).toBe(0);
          expect(client.version, why).toBe('DTLSv1.2');
          expect(client.cipher, why).toBe(ianaName(suite));
          expect(client.echoed, why).toBe(true);
          expect(ours.server.errors, why).toEqual([]);
          expect(ours.sessions, why).toHaveLength(1);
          expect(ours.sessions[0], why).toMatchObject({ handshake: true, suite, identity: WOLFSSL_PSK_IDENTITY, data: WOLFSSL_CLIENT_MESSAGE, close: 'clean' });
          expect(ours.server.stats.replies, why).toBeGreaterThanOrEqual(1);
        } finally {
          await ours.stop();
        }
      });
    });
  }
});
