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
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { beforeAll, describe, it } from 'vitest';
import { DtlsConnection } from '@dtls-kit/core';
import { decodeClientHello, decodeServerHello, encodeServerHello } from '@dtls-kit/core/internal';
import {
  WOLFSSL_PSK_13,
  WOLFSSL_PSK_IDENTITY,
  connectInteropClient,
  describePeerServer,
  startRecordingRelay,
  startWolfsslServer,
  waitUntil,
  wolfsslRoot,
} from '@dtls-kit/test-kit';
import { pskClient } from '../../src/index.js';

const KEY_SHARE = 51;
const COOKIE = 44;
const SECP256R1 = 0x17;
const X25519 = 0x1d;

/** The first whole epoch-0 handshake message of type `msgType` in a datagram: its record offset and body. */
function plaintextMessage(b: Uint8Array, msgType: number): { at: number; body: Uint8Array } | undefined {
  for (let at = 0; at + 25 <= b.length; at += 13 + (((b[at + 11] ?? 0) << 8) | (b[at + 12] ?? 0))) {
    if (b[at] === 22 && b[at + 3] === 0 && b[at + 4] === 0 && b[at + 13] === msgType) {
      const length = ((b[at + 14] ?? 0) << 16) | ((b[at + 15] ?? 0) << 8) | (b[at + 16] ?? 0);
      return { at, body: b.slice(at + 25, at + 25 + length) };
    }
  }
  return undefined;
}

function connection13(groups?: Array<'x25519' | 'secp256r1' | 'secp384r1'>): DtlsConnection {
  return DtlsConnection.client({
    psk: pskClient({ pskCallback: () => ({ identity: WOLFSSL_PSK_IDENTITY, psk: WOLFSSL_PSK_13 }) }),
    maxVersion: 'DTLSv1.3',
    ...(groups === undefined ? {} : { groups }),
  });
}

/** A relay 127.0.0.1 -> server that passes the server's datagrams through `rewrite` (an on-path attacker on the plaintext hellos). */
async function rewritingRelay(serverPort: number, rewrite: (datagram: Uint8Array) => Uint8Array): Promise<{ port: number; stop: () => Promise<void> }> {
  const front: Socket = createSocket('udp4');
  const back: Socket = createSocket('udp4');
  let client: { port: number; address: string } | undefined;
  front.on('message', (m, from) => {
    client = { port: from.port, address: from.address };
    back.send(m, serverPort, '127.0.0.1');
  });
  back.on('message', (m) => {
    if (client !== undefined) front.send(rewrite(new Uint8Array(m)), client.port, client.address);
  });
  front.bind(0, '127.0.0.1');
  back.bind(0, '127.0.0.1');
  await Promise.all([once(front, 'listening'), once(back, 'listening')]);
  const close = (s: Socket): Promise<void> => new Promise((r) => s.close(() => r()));
  return { port: front.address().port, stop: () => Promise.all([close(front), close(back)]).then(() => undefined) };
}

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

  it('HelloRetryRequest asking for another group (RFC 8446 4.1.4): our X25519 share, its secp256r1 request, our second ClientHello with a P-256 share and the cookie', async ({ expect }) => {
    const server = await startWolfsslServer({ version: '1.3', psk: true });
    const relay = await startRecordingRelay({ serverPort: server.port });
    try {
      const connection = connection13(['x25519', 'secp256r1']);
      const client = await connectInteropClient(connection, { port: relay.port, timeoutMs: 8000 });
      const why = `${client.describeEvents()}\n${describePeerServer(server)}`;
      try {
        expect(client.established, why).toBe(true);
        expect(await client.exchange(['after a retry\n']), why).toBe('after a retry\n');
      } finally {
        await client.close();
      }
      const hellos = relay.datagrams.filter((d) => d.direction === 'client-to-server').flatMap((d) => plaintextMessage(d.bytes, 1)?.body ?? []);
      const servers = relay.datagrams.filter((d) => d.direction === 'server-to-client').flatMap((d) => plaintextMessage(d.bytes, 2)?.body ?? []);
      const [hrr] = servers.map(decodeServerHello);
      // wolfSSL 5.5.4 as Debian configures it has no X25519: it asks for secp256r1.
      expect(hrr?.extensions.find((e) => e.type === KEY_SHARE)?.data, why).toEqual(Uint8Array.of(0, SECP256R1));
      const [first, second] = hellos.map(decodeClientHello);
      const groupOf = (h: typeof first): number | undefined => {
        const d = h?.extensions.find((e) => e.type === KEY_SHARE)?.data;
        return d === undefined ? undefined : ((d[2] ?? 0) << 8) | (d[3] ?? 0);
      };
      expect(groupOf(first), why).toBe(X25519);
      expect(groupOf(second), why).toBe(SECP256R1);
      expect(second?.extensions.find((e) => e.type === COOKIE)?.data, why).toEqual(hrr?.extensions.find((e) => e.type === COOKIE)?.data);
      // pre_shared_key stays last (RFC 8446 4.2.11).
      expect(second?.extensions.at(-1)?.type, why).toBe(41);
    } finally {
      await relay.stop();
      await server.stop();
    }
  });

  it('a HelloRetryRequest stripped of its cookie and key_share asks for no change: illegal_parameter (RFC 8446 4.1.4)', async ({ expect }) => {
    const server = await startWolfsslServer({ version: '1.3', psk: true });
    const relay = await rewritingRelay(server.port, (datagram) => {
      const hrr = plaintextMessage(datagram, 2);
      if (hrr === undefined) return datagram;
      const sh = decodeServerHello(hrr.body);
      const body = encodeServerHello({ ...sh, extensions: sh.extensions.filter((e) => e.type !== COOKIE && e.type !== KEY_SHARE) });
      const out = new Uint8Array(hrr.at + 25 + body.length);
      out.set(datagram.subarray(0, hrr.at + 25));
      out.set(body, hrr.at + 25);
      // The record and handshake lengths of the one message rewritten (whole, unfragmented).
      out[hrr.at + 11] = ((12 + body.length) >>> 8) & 0xff;
      out[hrr.at + 12] = (12 + body.length) & 0xff;
      for (const base of [hrr.at + 14, hrr.at + 22]) {
        out[base] = (body.length >>> 16) & 0xff;
        out[base + 1] = (body.length >>> 8) & 0xff;
        out[base + 2] = body.length & 0xff;
      }
      return out;
    });
    try {
      const connection = connection13();
      const client = await connectInteropClient(connection, { port: relay.port, timeoutMs: 8000 });
      await client.close();
      expect(client.established).toBe(false);
      expect(connection.error?.alertName, client.describeEvents()).toBe('illegal_parameter');
      expect(connection.error?.message).toContain('HelloRetryRequest');
    } finally {
      await relay.stop();
      await server.stop();
    }
  });
});
