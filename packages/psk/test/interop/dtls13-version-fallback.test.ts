/**
 * Our client with maxVersion 'DTLSv1.3' (issue 17) against real DTLS servers, over UDP on
 * 127.0.0.1 through a recording relay that keeps every datagram:
 * - 1.2-only servers still connect (RFC 8446 4.2.1 / RFC 9147 5.3: they ignore supported_versions
 *   and the TLS 1.3 suites and answer in DTLS 1.2; the client goes on in its 1.2 handshake with
 *   the same ClientHello, and no downgrade sentinel is there):
 *     openssl s_server -dtls1_2 -accept 127.0.0.1:PORT -listen -no_ticket -cipher PSK-AES128-GCM-SHA256 -psk 000102030405060708090a0b0c0d0e0f -psk_identity Client_identity -nocert -quiet
 *     gnutls-serv --udp -p PORT --priority NORMAL:-VERS-ALL:+VERS-DTLS1.2:-KX-ALL:+PSK:-CIPHER-ALL:+AES-128-GCM:-MAC-ALL:+AEAD --noticket -a --echo --pskpasswd FILE
 *     ./examples/server/server -u -v 3 -l PSK-AES128-GCM-SHA256 -s -p PORT -d -e -i   (wolfSSL 5.5.4, from its source root)
 * - wolfSSL's DTLS 1.3 server reads our ClientHello as a 1.3 offer: it answers with a
 *   HelloRetryRequest (RFC 9147 5.1: its stateless cookie) selecting DTLS 1.3 and one of our 1.3
 *   suites, with the cookie extension, and the handshake goes on in 1.3 (1.3 PSK: 0123456789abcdef x4):
 *     ./examples/server/server -u -v 4 -s -p PORT -d -e -i
 * The examples' PSKs are hard-coded (1a2b3c4d for DTLS 1.2, Client_identity).
 */
import { beforeAll, describe, it } from 'vitest';
import {
  WOLFSSL_PSK_12,
  WOLFSSL_PSK_13,
  WOLFSSL_PSK_IDENTITY,
  connectInteropClient,
  describePeerServer,
  gnutlsPriorityForSuite,
  startGnutlsServer,
  startOpensslServer,
  startRecordingRelay,
  startWolfsslServer,
  wolfsslRoot,
  type PeerServer,
  type RecordingRelay,
} from '@dtls-kit/test-kit';
import { decodeClientHello, decodeServerHello, type ClientHello, type ServerHello } from '@dtls-kit/core/internal';
import { DtlsConnection } from '@dtls-kit/core';
import { pskClient } from '../../src/index.js';
import { IDENTITY, PSK, runOurClient } from './our-side.js';

const SUPPORTED_VERSIONS = 43;
const COOKIE = 44;
const DTLS_1_3 = 0xfefc;
const DTLS_1_2 = 0xfefd;
const HRR_RANDOM = 'cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c';
const SUITE = 'PSK-AES128-GCM-SHA256';

/** Whole epoch-0 handshake messages of the recorded datagrams one way (the hellos are never fragmented here). */
function hellos(relay: RecordingRelay, direction: 'client-to-server' | 'server-to-client', msgType: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const d of relay.datagrams) {
    if (d.direction !== direction) continue;
    const b = d.bytes;
    for (let at = 0; at + 13 <= b.length; ) {
      const length = ((b[at + 11] ?? 0) << 8) | (b[at + 12] ?? 0);
      const epoch = ((b[at + 3] ?? 0) << 8) | (b[at + 4] ?? 0);
      if ((b[at] ?? 0) === 22 && epoch === 0 && at + 25 <= b.length && b[at + 13] === msgType) {
        const bodyLength = ((b[at + 14] ?? 0) << 16) | ((b[at + 15] ?? 0) << 8) | (b[at + 16] ?? 0);
        out.push(b.slice(at + 25, at + 25 + bodyLength));
      }
      at += 13 + length;
    }
  }
  return out;
}

function offeredVersions(hello: ClientHello): number[] {
  const data = hello.extensions.find((e) => e.type === SUPPORTED_VERSIONS)?.data ?? new Uint8Array(0);
  const out: number[] = [];
  for (let i = 1; i + 1 < data.length; i += 2) out.push(((data[i] ?? 0) << 8) | (data[i + 1] ?? 0));
  return out;
}

async function fallback(server: PeerServer, psk: string, expect: (typeof import('vitest'))['expect']): Promise<void> {
  const relay = await startRecordingRelay({ serverPort: server.port });
  try {
    const messages = ['hello from a 1.3-capable client\n', `second ${'y'.repeat(30)}\n`];
    const result = await runOurClient({ port: relay.port, suite: SUITE, psk, identity: IDENTITY, messages, maxVersion: 'DTLSv1.3' }).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${describePeerServer(server)}`);
    });
    const why = `${result.events}\n${describePeerServer(server)}`;
    expect(result.suite, why).toBe(SUITE);
    expect(result.received, why).toBe(messages.join(''));
    // What went out offered DTLS 1.3 first, then 1.2, with the TLS 1.3 suites ahead of the 1.2 one.
    const sent = hellos(relay, 'client-to-server', 1).map(decodeClientHello);
    expect(sent.length, why).toBeGreaterThanOrEqual(1);
    for (const h of sent) {
      expect(offeredVersions(h), why).toEqual([DTLS_1_3, DTLS_1_2]);
      expect(h.cipherSuites.slice(0, 3), why).toEqual([0x1301, 0x1302, 0x1303]);
    }
    // The server answered in DTLS 1.2: no supported_versions, legacy version 1.2.
    const answers: ServerHello[] = hellos(relay, 'server-to-client', 2).map(decodeServerHello);
    expect(answers.length, why).toBeGreaterThanOrEqual(1);
    for (const sh of answers) {
      expect(sh.serverVersion, why).toBe(DTLS_1_2);
      expect(sh.extensions.some((e) => e.type === SUPPORTED_VERSIONS), why).toBe(false);
    }
  } finally {
    await relay.stop();
  }
}

beforeAll(() => {
  wolfsslRoot();
}, 30 * 60_000);

describe.concurrent('maxVersion DTLSv1.3 against real servers', () => {
  it('OpenSSL 3.0 s_server -dtls1_2: connects in DTLS 1.2', async ({ expect }) => {
    const server = await startOpensslServer({ cipher: SUITE, psk: PSK, identity: IDENTITY });
    try {
      await fallback(server, PSK, expect);
    } finally {
      await server.stop();
    }
  });

  it('GnuTLS gnutls-serv --udp (DTLS 1.2 only): connects in DTLS 1.2', async ({ expect }) => {
    const server = await startGnutlsServer({ priority: gnutlsPriorityForSuite(SUITE), psk: PSK, identity: IDENTITY });
    try {
      await fallback(server, PSK, expect);
    } finally {
      await server.stop();
    }
  });

  it('wolfSSL 5.5.4 server -v 3: connects in DTLS 1.2', async ({ expect }) => {
    const server = await startWolfsslServer({ version: '1.2', psk: true, cipher: SUITE });
    try {
      await fallback(server, WOLFSSL_PSK_12, expect);
      expect(server.stdout()).toContain('SSL version is DTLSv1.2');
    } finally {
      await server.stop();
    }
  });

  it('wolfSSL 5.5.4 server -v 4 answers our ClientHello with a HelloRetryRequest selecting DTLS 1.3 (RFC 9147 5.1), and the handshake completes in 1.3', async ({ expect }) => {
    const server = await startWolfsslServer({ version: '1.3', psk: true });
    const relay = await startRecordingRelay({ serverPort: server.port });
    try {
      const connection = DtlsConnection.client({
        psk: pskClient({ pskCallback: () => ({ identity: WOLFSSL_PSK_IDENTITY, psk: WOLFSSL_PSK_13 }) }),
        maxVersion: 'DTLSv1.3',
      });
      const client = await connectInteropClient(connection, { port: relay.port, timeoutMs: 8000 });
      await client.close();
      expect(connection.protocol, client.describeEvents()).toBe('DTLSv1.3');
      const why = describePeerServer(server);
      const [hrr] = hellos(relay, 'server-to-client', 2).map(decodeServerHello);
      expect(hrr, why).toBeDefined();
      expect(Buffer.from(hrr?.random ?? []).toString('hex'), why).toBe(HRR_RANDOM);
      const selected = hrr?.extensions.find((e) => e.type === SUPPORTED_VERSIONS)?.data;
      expect(selected && ((selected[0] ?? 0) << 8) | (selected[1] ?? 0), why).toBe(DTLS_1_3);
      expect([0x1301, 0x1302, 0x1303], why).toContain(hrr?.cipherSuite);
      expect(hrr?.extensions.some((e) => e.type === COOKIE), why).toBe(true);
    } finally {
      await relay.stop();
      await server.stop();
    }
  });
});
