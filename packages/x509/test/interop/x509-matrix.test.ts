/**
 * Interop matrix over real UDP on 127.0.0.1: every certificate suite, our client and our
 * server against `openssl s_server`/`s_client -dtls1_2` (OpenSSL 3.0) and
 * `gnutls-serv`/`gnutls-cli --udp` (GnuTLS 3.7). In every cell the server does the cookie
 * exchange (s_server -listen, gnutls-serv always, our ServerEndpoint always), application
 * data goes both ways and comes back byte for byte, and both sides verify the other's chain:
 * - our client trusts only the root (`ca`) and checks the name localhost (`servername`);
 * - s_client runs with -CAfile root -verify_return_error -verify_hostname localhost,
 *   gnutls-cli with --x509cafile root --verify-hostname localhost.
 * Each suite runs without client certificates in all four cells; the suites of CLIENT_AUTH
 * run again with them (s_server -Verify 1 -CAfile, gnutls-serv --require-client-cert
 * --verify-client-cert, our server with requestCert; s_client/gnutls-cli with a certificate).
 *
 * Certificates (see pki.ts): ECDSA P-256 from our createCA/createCertificate with an
 * intermediate (both sides send leaf + intermediate); RSA-2048 server and root from
 * `openssl req`, the RSA client certificate ours. With SMALL_MTU our side runs at MTU 300 and
 * the peer too where it can, so the certificate chains travel in fragments.
 *
 * A missing peer binary fails these tests: it never skips them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GNUTLS_SUITES,
  INTEROP_CELLS as ALL,
  describePeerClient,
  describePeerServer,
  gnutlsPriorityForSuite,
  interopMessages,
  requireInteropPeers,
  runGnutlsClient,
  runOpensslClient,
  startGnutlsServer,
  startOpensslServer,
  type InteropCell as Cell,
  type PeerServer,
} from '@dtls-kit/test-kit';
import { describeCertificate, x509Client, x509Server } from '../../src/index.js';
import { SUITES, connectOurClient, startOurServer, type OurServer, type ProviderName, type Suite } from './our-side.js';
import { makeInteropPki, type Hierarchy, type Identity, type InteropPki } from './pki.js';

interface Variation {
  /** Crypto provider on our side (ECDHE and the AEAD; signatures are the x509 package's). */
  provider: ProviderName;
  /** Cells that run a second time with client certificates. */
  clientAuth: readonly Cell[];
  /** Cells where our side (and the peer, where it can) runs at MTU 300. */
  smallMtu: readonly Cell[];
  /**
   * Cells where the server asks for a client certificate without requiring one (s_server
   * -verify, gnutls-serv without --disable-client-cert, our server with requestCert and
   * rejectUnauthorized: false) and the client has none: an empty Certificate message.
   */
  optionalRequest?: readonly Cell[];
}

// Client certificates: two ECDSA and two RSA suites, in every cell. Small MTUs: one ECDSA and
// one RSA suite, in every cell (with and without client certificates).
const VARIATIONS: Record<Suite, Variation> = {
  'ECDHE-ECDSA-AES128-GCM-SHA256': { provider: 'node', clientAuth: ALL, smallMtu: ALL },
  'ECDHE-ECDSA-AES256-GCM-SHA384': { provider: 'noble', clientAuth: [], smallMtu: [] },
  'ECDHE-ECDSA-CHACHA20-POLY1305': { provider: 'node', clientAuth: [], smallMtu: [], optionalRequest: ALL },
  'ECDHE-ECDSA-AES128-CCM': { provider: 'noble', clientAuth: [], smallMtu: [] },
  'ECDHE-ECDSA-AES128-CCM8': { provider: 'noble', clientAuth: ALL, smallMtu: [] },
  'ECDHE-RSA-AES128-GCM-SHA256': { provider: 'node', clientAuth: [], smallMtu: [], optionalRequest: ALL },
  'ECDHE-RSA-AES256-GCM-SHA384': { provider: 'noble', clientAuth: ALL, smallMtu: [] },
  'ECDHE-RSA-CHACHA20-POLY1305': { provider: 'node', clientAuth: ALL, smallMtu: ALL },
};

const SMALL_MTU = 300;
/** Handshake type of Certificate, for the fragment tap. */
const CERTIFICATE = 11;
/** Handshake type of CertificateRequest. */
const CERTIFICATE_REQUEST = 13;

function commonName(identity: Identity): string {
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(identity.subject)?.[1];
  if (cn === undefined) throw new Error(`no CN in ${identity.subject}`);
  return cn;
}

/**
 * The peer's chain as our side sees it: the identity's leaf first, then its intermediates,
 * then the root where the peer adds it: OpenSSL, given a certificate without -cert_chain
 * but with a -CAfile (s_server -Verify, s_client verifying us), builds its chain from that
 * store and sends the root too.
 */
function expectChain(peerCertificates: readonly Uint8Array[], identity: Identity, why: string, root?: string): void {
  const fingerprints = peerCertificates.map((der) => describeCertificate(der).fingerprint256);
  expect(fingerprints, why).toEqual(root === undefined ? identity.chainFingerprints : [...identity.chainFingerprints, root]);
  const leaf = describeCertificate(peerCertificates[0]!);
  expect(leaf.fingerprint256, why).toBe(identity.fingerprint256);
  expect(leaf.subject, why).toContain(`CN=${commonName(identity)}`);
}

/** Arguments that make s_server/s_client send the intermediates of an identity. */
/** The root's fingerprint where OpenSSL appends the root to what `identity` sends (see expectChain). */
function opensslSendsRoot(peer: PeerServer | 'openssl' | 'gnutls', c: CellContext, identity: Identity): string | undefined {
  const openssl = typeof peer === 'string' ? peer === 'openssl' : peer.commandLine.startsWith('openssl');
  // s_server loads -CAfile for client auth and for an optional request; s_client always does.
  const hasCaFile = c.clientAuth || c.optionalRequest;
  return openssl && hasCaFile && identity.intermediatesFile === undefined ? c.h.caFingerprint : undefined;
}

function certChainArgs(identity: Identity): string[] {
  return identity.intermediatesFile === undefined ? [] : ['-cert_chain', identity.intermediatesFile];
}

let pki: InteropPki;

beforeAll(async () => {
  requireInteropPeers();
  pki = await makeInteropPki();
}, 60_000);

afterAll(() => pki?.remove());

describe('peer binaries', () => {
  it('openssl, gnutls-serv and gnutls-cli are installed (interop never skips)', () => {
    for (const path of requireInteropPeers()) expect(path).toMatch(/\//);
  });
});

interface CellContext {
  suite: Suite;
  h: Hierarchy;
  provider: ProviderName;
  clientAuth: boolean;
  small: boolean;
  /** The server asks for a certificate the client does not have (see Variation.optionalRequest). */
  optionalRequest: boolean;
  label: string;
}

/** Our client against a peer server (already started); the checks common to both peers. */
async function ourClientAgainst(server: PeerServer, c: CellContext, messages: readonly string[]): Promise<void> {
  const client = await connectOurClient({
    port: server.port,
    suite: c.suite,
    provider: c.provider,
    mtu: c.small ? SMALL_MTU : undefined,
    servername: 'localhost',
    x509: c.clientAuth
      ? x509Client({ ca: c.h.caPem, key: c.h.client.keyPem, cert: c.h.client.chainPem })
      : x509Client({ ca: c.h.caPem }),
  }).catch((error: unknown) => {
    throw new Error(`${String(error)}\n${describePeerServer(server)}`);
  });
  try {
    const why = () => `${c.label}: events ${client.describeEvents()} fragments ${client.tap.fragments.join(', ')}\n${describePeerServer(server)}`;
    expect(client.established, why()).toBe(true);
    const { connection } = client;
    expect(connection.cipherSuite?.opensslName, why()).toBe(c.suite);
    expect(connection.authorized, why()).toBe(true);
    expect(connection.authorizationError, why()).toBeUndefined();
    expectChain(connection.peerCertificates, c.h.server, why(), opensslSendsRoot(server, c, c.h.server));
    // The cookie exchange: ClientHello, HelloVerifyRequest, ClientHello with the cookie.
    expect(client.tap.cookieExchange.helloVerifyRequests, why()).toBeGreaterThanOrEqual(1);
    expect(client.tap.cookieExchange.clientHellos, why()).toBeGreaterThanOrEqual(2);
    const received = await client.exchange(messages);
    expect(received, why()).toBe(messages.join(''));
    // Our Certificate is fragmented at MTU 300 when we send one; the peer's at its MTU 300.
    expect(client.tap.fragmented('out', CERTIFICATE), why()).toBe(c.small && c.clientAuth);
    if (c.small) expect(client.tap.fragmented('in', CERTIFICATE), why()).toBe(true);
    // Asked for a certificate (client auth or an optional request), we answer with a Certificate.
    const asked = c.clientAuth || c.optionalRequest;
    expect(client.tap.messages.includes(`in ${CERTIFICATE_REQUEST}`), why()).toBe(asked);
    expect(client.tap.messages.includes(`out ${CERTIFICATE}`), why()).toBe(asked);
  } finally {
    await client.close();
  }
}

/** Our server's view of the one connection a peer client made. */
function expectOneCleanSession(ours: OurServer, c: CellContext, messages: readonly string[], why: string, peer: 'openssl' | 'gnutls'): void {
  expect(ours.server.errors, why).toEqual([]);
  expect(ours.sessions, why).toHaveLength(1);
  const [session] = ours.sessions;
  expect(session, why).toMatchObject({ handshake: true, suite: c.suite, data: messages.map((m) => `${m}\n`).join(''), close: 'clean' });
  if (c.clientAuth) {
    expect(session!.authorized, why).toBe(true);
    expect(session!.authorizationError, why).toBeUndefined();
    expectChain(session!.peerCertificates, c.h.client, why, opensslSendsRoot(peer, c, c.h.client));
  } else {
    expect(session!.peerCertificates, why).toEqual([]);
    if (c.optionalRequest) {
      // Asked, the client sent an empty Certificate: let in (rejectUnauthorized: false), not authorized.
      expect(session!.authorized, why).toBe(false);
      expect(session!.authorizationError, why).toBeInstanceOf(Error);
      expect(ours.fragments.messages, why).toContain(`out ${CERTIFICATE_REQUEST}`);
      expect(ours.fragments.messages, why).toContain(`in ${CERTIFICATE}`);
    } else {
      expect(ours.fragments.messages, why).not.toContain(`out ${CERTIFICATE_REQUEST}`);
    }
  }
  // The cookie exchange: a HelloVerifyRequest (two if the client's timer fired first).
  expect(ours.server.stats.replies, why).toBeGreaterThanOrEqual(1);
  // Our Certificate (leaf + intermediate for ECDSA, an RSA leaf) does not fit in 300 bytes.
  expect(ours.fragments.fragmented('out', CERTIFICATE), why).toBe(c.small);
}

function ourServerFor(c: CellContext): Promise<OurServer> {
  return startOurServer({
    suite: c.suite,
    provider: c.provider,
    mtu: c.small ? SMALL_MTU : undefined,
    x509: c.clientAuth
      ? x509Server({ key: c.h.server.keyPem, cert: c.h.server.chainPem, ca: c.h.caPem, requestCert: true })
      : c.optionalRequest
        ? x509Server({ key: c.h.server.keyPem, cert: c.h.server.chainPem, ca: c.h.caPem, requestCert: true, rejectUnauthorized: false })
        : x509Server({ key: c.h.server.keyPem, cert: c.h.server.chainPem }),
  });
}

describe.concurrent('DTLS 1.2 certificate interop over UDP', () => {
  for (const suite of Object.keys(SUITES) as Suite[]) {
    const v = VARIATIONS[suite];
    describe(suite, () => {
      for (const clientAuth of [false, true]) {
        const auth = clientAuth ? 'with client certificate' : 'no client certificate';
        const asked = (cell: Cell): string => (!clientAuth && (v.optionalRequest ?? []).includes(cell) ? ' (optional request)' : '');
        const context = (cell: Cell): CellContext => ({
          suite,
          h: pki[SUITES[suite]],
          provider: v.provider,
          clientAuth,
          small: v.smallMtu.includes(cell),
          optionalRequest: !clientAuth && (v.optionalRequest ?? []).includes(cell),
          label: `${suite} ${cell} ${auth}`,
        });
        const runs = (cell: Cell): boolean => !clientAuth || v.clientAuth.includes(cell);

        if (runs('openssl-server')) {
          it(`our client -> openssl s_server -listen, ${auth}${asked('openssl-server')}`, async () => {
            const c = context('openssl-server');
            const server = await startOpensslServer({
              cipher: suite,
              cert: c.h.server.leafFile,
              key: c.h.server.keyFile,
              verifyClientCa: clientAuth ? c.h.caFile : undefined,
              mtu: c.small ? SMALL_MTU : undefined,
              extraArgs: [...certChainArgs(c.h.server), ...(c.optionalRequest ? ['-verify', '1', '-CAfile', c.h.caFile] : [])],
            });
            try {
              const messages = interopMessages(suite, 'openssl-server').map((m) => `${m}\n`);
              await ourClientAgainst(server, c, messages);
              expect(server.stdout(), describePeerServer(server)).toContain(messages.at(-1));
            } finally {
              await server.stop();
            }
          });
        }

        if (runs('openssl-client')) {
          it(`openssl s_client -> our server, ${auth}${asked('openssl-client')}`, async () => {
            const c = context('openssl-client');
            const ours = await ourServerFor(c);
            try {
              const messages = interopMessages(suite, 'openssl-client');
              const client = await runOpensslClient({
                port: ours.port,
                cipher: suite,
                caFile: c.h.caFile,
                verifyHostname: 'localhost',
                cert: clientAuth ? c.h.client.leafFile : undefined,
                key: clientAuth ? c.h.client.keyFile : undefined,
                mtu: c.small ? SMALL_MTU : undefined,
                messages,
                extraArgs: ['-servername', 'localhost', ...(clientAuth ? certChainArgs(c.h.client) : [])],
              });
              const why = `${c.label}\n${ours.describe()}\n${describePeerClient(client)}`;
              expect(client.echoed, why).toBe(true);
              expect(client.code, why).toBe(0);
              expect(client.cipher, why).toBe(suite);
              expect(client.stdout, why).toContain('Verify return code: 0 (ok)');
              expectOneCleanSession(ours, c, messages, why, 'openssl');
              expect(ours.sessions[0]!.servername, why).toBe('localhost');
              if (c.small && clientAuth) expect(ours.fragments.fragmented('in', CERTIFICATE), why).toBe(true);
            } finally {
              await ours.stop();
            }
          });
        }

        if (runs('gnutls-server')) {
          it(`our client -> gnutls-serv --echo, ${auth}${asked('gnutls-server')}`, async () => {
            const c = context('gnutls-server');
            const server = await startGnutlsServer({
              priority: gnutlsPriorityForSuite(suite),
              cert: c.h.server.chainFile,
              key: c.h.server.keyFile,
              mtu: c.small ? SMALL_MTU : undefined,
              extraArgs: clientAuth
                ? ['--x509cafile', c.h.caFile, '--require-client-cert', '--verify-client-cert']
                : c.optionalRequest
                  ? ['--x509cafile', c.h.caFile, '--verify-client-cert']
                  : ['--disable-client-cert'],
            });
            try {
              await ourClientAgainst(server, c, interopMessages(suite, 'gnutls-server'));
            } finally {
              await server.stop();
            }
          });
        }

        if (runs('gnutls-client')) {
          it(`gnutls-cli --udp -> our server, ${auth}${asked('gnutls-client')}`, async () => {
            const c = context('gnutls-client');
            const ours = await ourServerFor(c);
            try {
              const messages = interopMessages(suite, 'gnutls-client');
              // No small MTU on gnutls-cli: it would fragment its ClientHello, which a
              // stateless server does not reassemble before the cookie check.
              const client = await runGnutlsClient({
                port: ours.port,
                priority: gnutlsPriorityForSuite(suite),
                caFile: c.h.caFile,
                verifyHostname: 'localhost',
                cert: clientAuth ? c.h.client.chainFile : undefined,
                key: clientAuth ? c.h.client.keyFile : undefined,
                messages,
              });
              const why = `${c.label}\n${ours.describe()}\n${describePeerClient(client)}`;
              expect(client.echoed, why).toBe(true);
              expect(client.code, why).toBe(0);
              const { cipher } = GNUTLS_SUITES[suite];
              expect(client.description, why).toMatch(/^\(DTLS1\.2[-)]/);
              expect(client.description, why).toContain(`-(${cipher})`);
              expect(client.stdout, why).toContain('The certificate is trusted');
              expectOneCleanSession(ours, c, messages, why, 'gnutls');
            } finally {
              await ours.stop();
            }
          });
        }
      }
    });
  }
});
