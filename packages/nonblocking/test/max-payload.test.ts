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

/** An echo server and a client at `mtu`, through a relay that records datagram sizes. */
async function pair(mtu: number, extra: { cipherSuites?: string; clientCid?: number; serverCid?: number } = {}): Promise<Wire> {
  const accepted: EstablishedDtlsSocket[] = [];
  server = createServer(
    { psk: serverPsk(), mtu, ...(extra.serverCid === undefined ? {} : { connectionId: { length: extra.serverCid } }) },
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
      // RFC 9146 4: with a CID, application data travels as tls12_cid records.
      const app = records.some((r) => r.contentType === CONTENT_TYPE.applicationData || (r.contentType === 25 && r.epoch > 0));
      if (app) appDatagrams[direction].push(datagram.length);
    },
  });
  const client = await connect({
    host: '127.0.0.1',
    port: relay.port,
    psk: clientPsk(),
    mtu,
    ...(extra.cipherSuites === undefined ? {} : { cipherSuites: extra.cipherSuites }),
    ...(extra.clientCid === undefined ? {} : { connectionId: { length: extra.clientCid } }),
  });
  await until(() => accepted.length === 1, 5000, 'the server side');
  const [peer] = accepted;
  if (peer === undefined) throw new Error('no server side');
  return { client, peer, appDatagrams };
}

describe('socket.maxPayload and the RangeError past it (node:dgram runtime)', () => {
  it('mtu 600 with AES-GCM: 563 bytes go whole in one 600-byte datagram each way; 3,000 bytes throw and send nothing', async () => {
    const w = await pair(600, { cipherSuites: 'PSK-AES128-GCM-SHA256' });
    expect(w.client.maxPayload).toBe(563);
    expect(w.peer.maxPayload).toBe(563);

    const echoed = once(w.client, 'message') as Promise<[Buffer]>;
    expect(w.client.send(Buffer.alloc(w.client.maxPayload, 0x61))).toBe(true);
    const [back] = await echoed;
    expect(back.length).toBe(563);
    expect(w.appDatagrams.toServer).toEqual([600]);
    expect(w.appDatagrams.toClient).toEqual([600]);

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
      /^send\(\) of 3000 bytes: at most 563 bytes fit one datagram at mtu 600 with TLS_PSK_WITH_AES_128_GCM_SHA256 \(37 bytes of record overhead\)/,
    );
    // A string counts in UTF-8 bytes: 282 two-byte characters are 564 bytes.
    expect(() => w.client.send('é'.repeat(282))).toThrow(RangeError);
    // Nothing left for either oversized message; the connection still works.
    const again = once(w.client, 'message') as Promise<[Buffer]>;
    w.client.send('after');
    const [after] = await again;
    expect(after.toString()).toBe('after');
    expect(w.appDatagrams.toServer).toEqual([600, 13 + 8 + 16 + 5]);
  });

  it('counts the connection ID our records carry (RFC 9146 4): each side its peer\'s', async () => {
    // The client asks for an 8-byte CID in the server's records, the server for 4 in the client's.
    const w = await pair(600, { cipherSuites: 'PSK-CHACHA20-POLY1305', clientCid: 8, serverCid: 4 });
    expect(w.client.connectionId?.send.length).toBe(4);
    expect(w.client.maxPayload).toBe(600 - (13 + 4 + 1 + 16));
    expect(w.peer.maxPayload).toBe(600 - (13 + 8 + 1 + 16));
    const fromServer = once(w.client, 'message') as Promise<[Buffer]>;
    w.peer.send(Buffer.alloc(w.peer.maxPayload, 0x63));
    const [got] = await fromServer;
    expect(got.length).toBe(w.peer.maxPayload);
    // The CID records of epoch 1 include the Finished (its type is inside the encryption): the
    // message is the last, and no datagram is larger than the MTU.
    expect(w.appDatagrams.toClient.at(-1)).toBe(600);
    expect(Math.max(...w.appDatagrams.toClient)).toBe(600);
    expect(() => w.peer.send(Buffer.alloc(w.peer.maxPayload + 1))).toThrow(/\(38 bytes of record overhead, 9 of them for the peer's 8-byte connection ID\)/);
  });

  it(`the smallest MTU is core's MIN_MTU (${MIN_MTU}) for connect() and createServer()`, async () => {
    await expect(connect({ host: '127.0.0.1', port: 9, psk: clientPsk(), mtu: MIN_MTU - 1 })).rejects.toThrow(
      new RangeError(`mtu must be an integer >= ${MIN_MTU} (got ${MIN_MTU - 1})`),
    );
    expect(() => createServer({ psk: serverPsk(), mtu: MIN_MTU - 1 })).toThrow(RangeError);
    const w = await pair(MIN_MTU, { cipherSuites: 'PSK-AES128-CCM8' });
    expect(w.client.maxPayload).toBe(MIN_MTU - 29);
    const echoed = once(w.client, 'message') as Promise<[Buffer]>;
    w.client.send(Buffer.alloc(MIN_MTU - 29, 0x64));
    const [back] = await echoed;
    expect(back.length).toBe(MIN_MTU - 29);
    expect(w.appDatagrams.toServer).toEqual([MIN_MTU]);
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
