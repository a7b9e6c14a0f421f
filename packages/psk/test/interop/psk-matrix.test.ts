/**
 * Interop matrix over real UDP on 127.0.0.1: every PSK suite OpenSSL 3.0 offers, our
 * client and our server against `openssl s_server`/`s_client -dtls1_2` and
 * `gnutls-serv`/`gnutls-cli --udp`. In every cell the server does the cookie exchange
 * (s_server -listen, gnutls-serv always, our ServerEndpoint always) and application data
 * goes both ways: our client's messages come back from the echoing peer server, and the
 * peer client's messages come back from our echoing server.
 *
 * Variations are spread over the suites (see VARIATIONS) so that each peer sees, at least
 * once: a PSK identity hint and none, our side on the noble provider and on node:crypto,
 * and handshake messages fragmented to a small MTU, in both directions where the peer's
 * MTU floor allows it.
 *
 * A missing peer binary fails these tests: it never skips them.
 */
import { describe, expect, it, type ExpectStatic } from 'vitest';
import {
  GNUTLS_SUITES,
  INTEROP_CELLS as ALL,
  OPENSSL_PSK_SUITES as SUITES,
  describePeerClient,
  describePeerServer,
  gnutlsPriorityForSuite,
  interopMessages,
  requireInteropPeers,
  runGnutlsClient,
  runOpensslClient,
  startGnutlsServer,
  startOpensslServer,
  type ClientResult,
  type PeerServer,
  type InteropCell as Cell,
  type OpensslPskSuite as Suite,
} from '@dtls-kit/test-kit';
import { IDENTITY, PSK, runOurClient, startOurServer, type OurServer, type ProviderName } from './our-side.js';

interface Variation {
  /** Cells where the server (ours or the peer's) sends a PSK identity hint. */
  hint: readonly Cell[];
  /** Crypto provider on our side (client and server). */
  provider: ProviderName;
  /** Cells where small MTUs make handshake messages travel in fragments. */
  fragment: readonly Cell[];
}

// Each cell type meets: a hint and none, both providers, and fragmentation at least once.
// ECDHE-PSK without a hint checks the empty psk_identity_hint (RFC 5489 2) reads as none.
const VARIATIONS: Record<Suite, Variation> = {
  'PSK-AES128-GCM-SHA256': { hint: [], provider: 'node', fragment: [] },
  'PSK-AES256-GCM-SHA384': { hint: ALL, provider: 'noble', fragment: ['openssl-server'] },
  'PSK-AES128-CCM': { hint: [], provider: 'noble', fragment: ['openssl-client'] },
  'PSK-AES128-CCM8': { hint: ALL, provider: 'node', fragment: ['gnutls-server', 'gnutls-client'] },
  'PSK-CHACHA20-POLY1305': { hint: [], provider: 'noble', fragment: [] },
  'ECDHE-PSK-CHACHA20-POLY1305': {
    hint: ['openssl-client', 'gnutls-server'],
    provider: 'node',
    fragment: ['openssl-server', 'openssl-client', 'gnutls-server'],
  },
};

interface Settings {
  fragment: boolean;
  provider: ProviderName;
  identity: string;
  hint: string | undefined;
  ourMtu: number | undefined;
  peerMtu: number | undefined;
  expectFragmentsOut: boolean;
  expectFragmentsIn: boolean;
}

const HINT = 'dtls-kit interop hint';
// Fragmentation needs a handshake message larger than the MTU; PSK messages are small, so
// long identities and hints make ClientKeyExchange and ServerKeyExchange big. Limits:
// OpenSSL takes identities and hints up to 256 bytes and a link MTU (-mtu, IP and UDP
// headers included) of at least 256; GnuTLS takes up to 128 bytes and any MTU. The
// ClientHello itself must stay whole: neither s_server -listen nor our ServerEndpoint
// reassembles a ClientHello before the cookie check, so no client MTU goes below it.
const LONG = { openssl: 250, gnutls: 128 } as const;
/** Peer MTUs: OpenSSL's is a link MTU (datagrams of at most 256 - 28 bytes), its floor. */
const PEER_MTU = { openssl: 256, gnutls: 100 } as const;
/** Our client's MTU: below the ClientKeyExchange with a long identity, above the ClientHello. */
const OUR_CLIENT_MTU = { openssl: 200, gnutls: 150 } as const;
/** Our server's MTU: our floor, so even a PSK ServerHello is fragmented. */
const OUR_SERVER_MTU = 64;

function longName(prefix: string, length: number): string {
  return prefix + '.'.repeat(length - prefix.length);
}

/** What each cell uses: identity, hint, MTUs, and which fragmented directions to expect. */
function settings(suite: Suite, cell: Cell): Settings {
  const v = VARIATIONS[suite];
  const fragment = v.fragment.includes(cell);
  const peer = cell.startsWith('openssl') ? 'openssl' : 'gnutls';
  const peerIsServer = cell.endsWith('server');
  const hint = v.hint.includes(cell) ? (fragment ? longName(HINT, LONG[peer]) : HINT) : undefined;
  return {
    fragment,
    provider: v.provider,
    identity: fragment ? longName(IDENTITY, LONG[peer]) : IDENTITY,
    hint,
    ourMtu: fragment ? (peerIsServer ? OUR_CLIENT_MTU[peer] : OUR_SERVER_MTU) : undefined,
    // No small MTU on gnutls-cli: it would fragment its ClientHello, which a stateless
    // server does not reassemble.
    peerMtu: fragment && cell !== 'gnutls-client' ? PEER_MTU[peer] : undefined,
    // We always fragment: our long-identity ClientKeyExchange, or our server's flight.
    expectFragmentsOut: fragment,
    // The peer fragments its long-identity ClientKeyExchange (s_client), its flight
    // (gnutls-serv at 100 bytes), or s_server its ServerKeyExchange with a long hint.
    expectFragmentsIn:
      fragment && (cell === 'openssl-client' || cell === 'gnutls-server' || (cell === 'openssl-server' && hint !== undefined)),
  };
}

function describeOurServer(ours: OurServer, client: ClientResult): string {
  return `${ours.describe()}\n${describePeerClient(client)}`;
}

/** Our client against a peer server (already started); the checks common to both peers. */
async function ourClientAgainst(server: PeerServer, suite: Suite, s: Settings, messages: readonly string[], expect: ExpectStatic): Promise<void> {
  const result = await runOurClient({
    port: server.port,
    suite,
    provider: s.provider,
    identity: s.identity,
    mtu: s.ourMtu,
    messages,
  }).catch((error: unknown) => {
    throw new Error(`${String(error)}\n${describePeerServer(server)}`);
  });
  const why = `${JSON.stringify({ ...result, fragments: result.fragments.fragments })}\n${describePeerServer(server)}`;
  expect(result.suite, why).toBe(suite);
  // The cookie exchange: ClientHello, HelloVerifyRequest, ClientHello with the cookie
  // (more of each only if a timer fired on a slow machine).
  expect(result.fragments.cookieExchange.helloVerifyRequests, why).toBeGreaterThanOrEqual(1);
  expect(result.fragments.cookieExchange.clientHellos, why).toBeGreaterThanOrEqual(2);
  expect(result.received, why).toBe(messages.join(''));
  expect(result.hint ?? null, why).toBe(s.hint ?? null);
  expect(result.fragments.fragmented('out'), why).toBe(s.expectFragmentsOut);
  expect(result.fragments.fragmented('in'), why).toBe(s.expectFragmentsIn);
}

/** Our server's view of the one connection a peer client made. */
function expectOneCleanSession(ours: OurServer, suite: Suite, identity: string, messages: readonly string[], why: string): void {
  expect(ours.server.errors, why).toEqual([]);
  expect(ours.sessions, why).toHaveLength(1);
  const [session] = ours.sessions;
  expect(session, why).toMatchObject({
    handshake: true,
    suite,
    identity,
    data: messages.map((m) => `${m}\n`).join(''),
    close: 'clean',
  });
  // The cookie exchange: a HelloVerifyRequest (two if the client's timer fired first).
  expect(ours.server.stats.replies, why).toBeGreaterThanOrEqual(1);
}

describe('peer binaries', () => {
  it('openssl, gnutls-serv and gnutls-cli are installed (interop never skips)', () => {
    for (const path of requireInteropPeers()) expect(path).toMatch(/\//);
  });
});

describe.concurrent('DTLS 1.2 PSK interop over UDP', () => {
  for (const suite of SUITES) {
    describe(suite, () => {
      it('our client -> openssl s_server -listen', async ({ expect }) => {
        const s = settings(suite, 'openssl-server');
        const server = await startOpensslServer({
          cipher: suite,
          psk: PSK,
          identity: s.identity,
          hint: s.hint,
          mtu: s.peerMtu,
        });
        try {
          const messages = interopMessages(suite, 'openssl-server').map((m) => `${m}\n`);
          await ourClientAgainst(server, suite, s, messages, expect);
          expect(server.stdout(), describePeerServer(server)).toContain(messages.at(-1));
        } finally {
          await server.stop();
        }
      });

      it('openssl s_client -> our server', async ({ expect }) => {
        const s = settings(suite, 'openssl-client');
        const ours = await startOurServer({ suite, hint: s.hint, mtu: s.ourMtu, provider: s.provider, identities: [s.identity] });
        try {
          const messages = interopMessages(suite, 'openssl-client');
          const client = await runOpensslClient({
            port: ours.port,
            cipher: suite,
            psk: PSK,
            identity: s.identity,
            mtu: s.peerMtu,
            messages,
          });
          const why = describeOurServer(ours, client);
          expect(client.echoed, why).toBe(true);
          expect(client.code, why).toBe(0);
          expect(client.cipher, why).toBe(suite);
          expect(client.stdout, why).toContain(`PSK identity hint: ${s.hint ?? 'None'}`);
          expectOneCleanSession(ours, suite, s.identity, messages, why);
          expect(ours.fragments.fragmented('out'), why).toBe(s.expectFragmentsOut);
          expect(ours.fragments.fragmented('in'), why).toBe(s.expectFragmentsIn);
        } finally {
          await ours.stop();
        }
      });

      it('our client -> gnutls-serv --echo', async ({ expect }) => {
        const s = settings(suite, 'gnutls-server');
        const server = await startGnutlsServer({
          priority: gnutlsPriorityForSuite(suite),
          psk: PSK,
          identity: s.identity,
          hint: s.hint,
          mtu: s.peerMtu,
        });
        try {
          const messages = interopMessages(suite, 'gnutls-server');
          await ourClientAgainst(server, suite, s, messages, expect);
        } finally {
          await server.stop();
        }
      });

      // gnutls-cli 3.7.9 segfaults in its own info printer right after a successful
      // ECDHE-PSK handshake (peers.md), so ECDHE-PSK-CHACHA20-POLY1305 meets GnuTLS only
      // as the server (the cell above).
      if (suite !== 'ECDHE-PSK-CHACHA20-POLY1305') {
        it('gnutls-cli --udp -> our server', async ({ expect }) => {
          const s = settings(suite, 'gnutls-client');
          const ours = await startOurServer({ suite, hint: s.hint, mtu: s.ourMtu, provider: s.provider, identities: [s.identity] });
          try {
            const messages = interopMessages(suite, 'gnutls-client');
            const client = await runGnutlsClient({
              port: ours.port,
              priority: gnutlsPriorityForSuite(suite),
              psk: PSK,
              identity: s.identity,
              messages,
            });
            const why = describeOurServer(ours, client);
            expect(client.echoed, why).toBe(true);
            expect(client.code, why).toBe(0);
            const { kx, cipher } = GNUTLS_SUITES[suite];
            expect(client.description, why).toMatch(/^\(DTLS1\.2[-)]/);
            expect(client.description, why).toContain(`-(${kx})-(${cipher})`);
            if (s.hint !== undefined) expect(client.stdout, why).toContain(`PSK hint '${s.hint}'`);
            else expect(client.stdout, why).not.toContain('PSK hint');
            expectOneCleanSession(ours, suite, s.identity, messages, why);
            expect(ours.fragments.fragmented('out'), why).toBe(s.expectFragmentsOut);
            expect(ours.fragments.fragmented('in'), why).toBe(s.expectFragmentsIn);
          } finally {
            await ours.stop();
          }
        });
      }
    });
  }
});
