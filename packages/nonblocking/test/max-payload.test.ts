/**
 * MTU and message size over real sockets (issue 14): one send() is one record in one datagram of
 * at most `mtu` bytes (RFC 6347 4.1.1). `socket.maxPayload` says the largest message; one byte
 * more is a RangeError naming the limit, and nothing leaves (before, `mtu: 600` on both sides let
 * a 3,000-byte send() leave as one 3,029-byte datagram). A relay between the two sees the sizes.
 */
import { once } from 'node:events';
import { MIN_MTU } from '@dtls-kit/core';
import { startFaultRelay, startOpensslServer, CONTENT_TYPE, type FaultRelay, type PeerServer } from '@dtls-kit/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, createServer, type DtlsServer, type EstablishedDtlsSocket } from '../src/index.js';
import { IDENTITY, KEY, clientPsk, echo, serverPsk, until } from './helpers.js';

let server: DtlsServer | undefined;
let relay: FaultRelay | undefined;
let openssl: PeerServer | undefined;
afterEach(async () => {
  await openssl?.stop();
  openssl = undefined;
  await relay?.close();
  relay = undefined;
  await server?.close();
  server = undefined;
});

interface Wire {
  client: EstablishedDtlsSocket;
  peer: EstablishedDtlsSocket;
  /** Sizes of the datagrams that carried application data (or, with CIDs, any epoch >= 1 record), per direction. */
  appDatagrams: { toServer: number[]; toClient: number[] };
}

type Version = 'DTLSv1.2' | 'DTLSv1.3';

/**
 * What carries application data, per version: DTLS 1.2 application_data records, or (RFC 9146 4,
 * with a CID) tls12_cid records of epoch >= 1; DTLS 1.3 a unified header (RFC 9147 4, 0b001CSLEE)
 * of epoch 3 (EE = 3), which the ACKs and the NewSessionTicket after the handshake share.
 */
function carriesData(version: Version, records: readonly { contentType: number; epoch: number }[], datagram: Uint8Array): boolean {
  if (version === 'DTLSv1.3') return ((datagram[0] ?? 0) & 0xe3) === 0x23;
  return records.some((r) => r.contentType === CONTENT_TYPE.applicationData || (r.contentType === 25 && r.epoch > 0));
}

/** An echo server and a client at `mtu`, through a relay that records datagram sizes. */
async function pair(version: Version, mtu: number, extra: { cipherSuites?: string; clientCid?: number; serverCid?: number } = {}): Promise<Wire> {
  const accepted: EstablishedDtlsSocket[] = [];
  const suites = extra.cipherSuites === undefined ? {} : { cipherSuites: extra.cipherSuites };
  server = createServer(
    { psk: serverPsk(), mtu, ...suites, ...(extra.serverCid === undefined ? {} : { connectionId: { length: extra.serverCid } }) },
    (s) => {
      accepted.push(s);
      echo(s);
    },
  );
  const { port } = await server.listen(0, '127.0.0.1');
  const appDatagrams: Wire['appDatagrams'] = { toServer: [], toClient: [] };
  relay = await startFaultRelay({
    target: port,
    seed: 1,
    onDatagram: (direction, records, datagram) => {
      if (carriesData(version, records, datagram)) appDatagrams[direction].push(datagram.length);
    },
  });
  const client = await connect({
    host: '127.0.0.1',
    port: relay.port,
    psk: clientPsk(),
    mtu,
    maxVersion: version,
    ...suites,
    ...(extra.clientCid === undefined ? {} : { connectionId: { length: extra.clientCid } }),
  });
  expect(client.getProtocol()).toBe(version);
  await until(() => accepted.length === 1, 5000, 'the server side');
  const [peer] = accepted;
  if (peer === undefined) throw new Error('no server side');
  return { client, peer, appDatagrams };
}

/**
 * Record overhead per version. DTLS 1.2 (RFC 6347 4.1): a 13-byte header, an 8-byte explicit
 * nonce for AES-GCM/CCM (none for ChaCha20, RFC 7905), the tag; with a CID (RFC 9146 4) the CID
 * and the inner content type byte. DTLS 1.3 (RFC 9147 4): our unified header is 5 bytes (the
 * first byte, a 16-bit sequence number, a 16-bit length) plus the CID, then the inner content
 * type byte (RFC 8446 5.2) and the tag; no explicit nonce.
 */
const VERSIONS = [
  {
    version: 'DTLSv1.3',
    gcm: { suites: 'PSK-AES128-GCM-SHA256:TLS_AES_128_GCM_SHA256', name: 'TLS_AES_128_GCM_SHA256', overhead: 5 + 1 + 16 },
    chacha: { suites: 'PSK-CHACHA20-POLY1305:TLS_CHACHA20_POLY1305_SHA256', clientOverhead: 5 + 4 + 1 + 16, peerOverhead: 5 + 8 + 1 + 16, peerCidBytes: 8 }, // the CID alone: the inner type is in every 1.3 record
    ccm8: { suites: 'PSK-AES128-CCM8:TLS_AES_128_CCM_8_SHA256', overhead: 5 + 1 + 8 },
  },
  {
    version: 'DTLSv1.2',
    gcm: { suites: 'PSK-AES128-GCM-SHA256', name: 'TLS_PSK_WITH_AES_128_GCM_SHA256', overhead: 13 + 8 + 16 },
    chacha: { suites: 'PSK-CHACHA20-POLY1305', clientOverhead: 13 + 4 + 1 + 16, peerOverhead: 13 + 8 + 1 + 16, peerCidBytes: 9 },
    ccm8: { suites: 'PSK-AES128-CCM8', overhead: 13 + 8 + 8 },
  },
] as const;

describe.each(VERSIONS)('socket.maxPayload and the RangeError past it (node:dgram runtime, $version)', ({ version, gcm, chacha, ccm8 }) => {
  it(`mtu 600 with AES-GCM: ${600 - gcm.overhead} bytes go whole in one 600-byte datagram each way; 3,000 bytes throw and send nothing`, async () => {
    const w = await pair(version, 600, { cipherSuites: gcm.suites });
    const max = 600 - gcm.overhead;
    expect(w.client.getCipher().standardName).toBe(gcm.name);
    expect(w.client.maxPayload).toBe(max);
    expect(w.peer.maxPayload).toBe(max);

    const echoed = once(w.client, 'message') as Promise<[Buffer]>;
    expect(w.client.send(Buffer.alloc(w.client.maxPayload, 0x61))).toBe(true);
    const [back] = await echoed;
    expect(back.length).toBe(max);
    // DTLS 1.3's ACKs (RFC 9147 7) and NewSessionTicket share epoch 3 with the data, each smaller.
    const only600 = (sizes: number[]): number[] => (version === 'DTLSv1.3' ? sizes.filter((n) => n >= 600) : sizes);
    expect(only600(w.appDatagrams.toServer)).toEqual([600]);
    expect(only600(w.appDatagrams.toClient)).toEqual([600]);

    let error: unknown;
    try {
      w.client.send(Buffer.alloc(3000, 0x62));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RangeError);
    const message = error instanceof Error ? error.message : '';
    console.log(`nonblocking: send() of 3000 bytes at mtu 600 → ${message}`);
    expect(message).toMatch(
      new RegExp(`^send\\(\\) of 3000 bytes: at most ${max} bytes fit one datagram at mtu 600 with ${gcm.name} \\(${gcm.overhead} bytes of record overhead\\)`),
    );
    // A string counts in UTF-8 bytes: one two-byte character past the limit.
    expect(() => w.client.send('é'.repeat(Math.floor(max / 2) + 1))).toThrow(RangeError);
    // Nothing left for either oversized message; the connection still works.
    const again = once(w.client, 'message') as Promise<[Buffer]>;
    w.client.send('after');
    const [after] = await again;
    expect(after.toString()).toBe('after');
    expect(w.appDatagrams.toServer.filter((n) => n >= 600)).toEqual([600]);
    expect(w.appDatagrams.toServer.at(-1)).toBe(gcm.overhead + 5);
  });

  it('counts the connection ID our records carry (RFC 9146 4, RFC 9147 4): each side its peer\'s', async () => {
    // The client asks for an 8-byte CID in the server's records, the server for 4 in the client's.
    const w = await pair(version, 600, { cipherSuites: chacha.suites, clientCid: 8, serverCid: 4 });
    expect(w.client.connectionId?.send.length).toBe(4);
    expect(w.client.maxPayload).toBe(600 - chacha.clientOverhead);
    expect(w.peer.maxPayload).toBe(600 - chacha.peerOverhead);
    const fromServer = once(w.client, 'message') as Promise<[Buffer]>;
    w.peer.send(Buffer.alloc(w.peer.maxPayload, 0x63));
    const [got] = await fromServer;
    expect(got.length).toBe(w.peer.maxPayload);
    // The message fills a datagram to the MTU, and no datagram is larger.
    expect(w.appDatagrams.toClient).toContain(600);
    expect(Math.max(...w.appDatagrams.toClient)).toBe(600);
    expect(() => w.peer.send(Buffer.alloc(w.peer.maxPayload + 1))).toThrow(
      `(${chacha.peerOverhead} bytes of record overhead, ${chacha.peerCidBytes} of them for the peer's 8-byte connection ID)`,
    );
  });

  it(`the smallest MTU is core's MIN_MTU (${MIN_MTU}) for connect() and createServer()`, async () => {
    await expect(connect({ host: '127.0.0.1', port: 9, psk: clientPsk(), mtu: MIN_MTU - 1, maxVersion: version })).rejects.toThrow(
      new RangeError(`mtu must be an integer >= ${MIN_MTU} (got ${MIN_MTU - 1})`),
    );
    expect(() => createServer({ psk: serverPsk(), mtu: MIN_MTU - 1 })).toThrow(RangeError);
    const w = await pair(version, MIN_MTU, { cipherSuites: ccm8.suites });
    const max = MIN_MTU - ccm8.overhead;
    expect(w.client.maxPayload).toBe(max);
    const echoed = once(w.client, 'message') as Promise<[Buffer]>;
    w.client.send(Buffer.alloc(max, 0x64));
    const [back] = await echoed;
    expect(back.length).toBe(max);
    expect(w.appDatagrams.toServer).toContain(MIN_MTU);
    expect(Math.max(...w.appDatagrams.toServer)).toBe(MIN_MTU);
  });
});

describe('with OpenSSL: our client at mtu 600, openssl s_server -mtu 600', () => {
  it.each([['PSK-AES128-GCM-SHA256', 563], ['PSK-CHACHA20-POLY1305', 571]])(
    '%s: maxPayload (%i) bytes leave in one 600-byte datagram and s_server receives them whole',
    async (cipher, expected) => {
      // s_server's -mtu is the link MTU (its own datagrams are 28 bytes smaller); what it receives
      // is bounded by its read buffer, not by it. No echo; with -quiet its stdout is exactly what it received.
      openssl = await startOpensslServer({ cipher, psk: KEY, identity: IDENTITY, mtu: 600, echo: false, extraArgs: ['-quiet'] });
      const sizes: number[] = [];
      relay = await startFaultRelay({
        target: openssl.port,
        seed: 1,
        onDatagram: (direction, records, datagram) => {
          if (direction === 'toServer' && records.some((r) => r.contentType === CONTENT_TYPE.applicationData)) sizes.push(datagram.length);
        },
      });
      const client = await connect({ host: '127.0.0.1', port: relay.port, psk: clientPsk(), cipherSuites: cipher, mtu: 600 });
      expect(client.getCipher().name).toBe(cipher);
      expect(client.maxPayload).toBe(expected);
      // Printable and not periodic, so a cut or a reordering would show.
      const message = Array.from({ length: client.maxPayload }, (_, i) => String.fromCharCode(33 + ((i * 7) % 94))).join('');
      expect(() => client.send(`${message}!`)).toThrow(RangeError);
      client.send(message);
      await until(() => (openssl?.stdout().length ?? 0) >= message.length, 5000, 's_server to print the message');
      expect(openssl.stdout()).toBe(message);
      expect(sizes).toEqual([600]);
      console.log(`openssl s_server -mtu 600 received ${openssl.stdout().length} bytes with ${cipher} in one ${sizes[0]}-byte datagram`);
      await client.close();
    },
  );
});
