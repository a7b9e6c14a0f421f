import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../../src/bytes.js';
import { DtlsConnection } from '../../src/connection.js';
import { decodeHandshakeFragments } from '../../src/handshake/handshake-header.js';
import { decodeClientHello } from '../../src/handshake/messages/client-hello.js';
import { splitRecords } from '../../src/record/datagram.js';
import { Pair } from './harness.js';

const A = { address: '192.0.2.7', port: 40000 };
const B = { address: '198.51.100.9', port: 40000 };
const SERVER = { address: '2001:db8::1', port: 4433 };

describe('DtlsConnection.clientRandom', () => {
  it('is the ClientHello random on both sides, a copy, and the one in the key log line', async () => {
    const pair = new Pair();
    const before = pair.client.clientRandom;
    expect(before?.length).toBe(32);
    await pair.handshake();
    const hello = pair.wire.find((w) => w.direction === 'c2s');
    const fragment = splitRecords(hello?.datagram ?? new Uint8Array(0))[0]?.fragment ?? new Uint8Array(0);
    const sent = decodeClientHello(decodeHandshakeFragments(fragment)[0]?.body ?? new Uint8Array(0)).random;
    expect(toHex(pair.client.clientRandom ?? new Uint8Array(0))).toBe(toHex(sent));
    expect(toHex(pair.s.clientRandom ?? new Uint8Array(0))).toBe(toHex(sent));
    expect(pair.s.keyLogLine?.split(' ')[1]).toBe(toHex(sent));
    // A copy: writing into it changes nothing in the engine.
    const copy = pair.s.clientRandom ?? new Uint8Array(0);
    copy.fill(0);
    expect(toHex(pair.s.clientRandom ?? new Uint8Array(0))).toBe(toHex(sent));
  });

  it('is known to a server as soon as it took the ClientHello', () => {
    const pair = new Pair().start();
    pair.step(); // ClientHello -> HelloVerifyRequest
    pair.step(); // ClientHello with cookie -> accepted
    expect(pair.s.state).toBe('handshaking');
    expect(toHex(pair.s.clientRandom ?? new Uint8Array(0))).toBe(toHex(pair.client.clientRandom ?? new Uint8Array(1)));
  });
});

describe('receive(datagram, now, from)', () => {
  it('records the first source as the peer address (client side)', async () => {
    const pair = new Pair();
    expect(pair.client.peerAddress).toBeUndefined();
    pair.start();
    for (const d of pair.client.datagramsToSend()) pair.toServer(d);
    const hvr = pair.endpointReplies[0];
    expect(hvr).toBeDefined();
    pair.client.receive(hvr ?? new Uint8Array(0), 0, SERVER);
    expect(pair.client.peerAddress).toEqual(SERVER);
  });

  it('a server connection takes the verified ClientHello source as its peer; a record from another address does not move it', async () => {
    // The endpoint's verified ClientHello, turned into a connection with its source.
    const pair = new Pair().start();
    const client = pair.client;
    let verified;
    for (let round = 0; round < 3 && verified === undefined; round++) {
      for (const d of client.datagramsToSend()) {
        const r = pair.endpoint.verify(d, pair.peer, 0);
        if (r.type === 'reply') client.receive(r.datagram, 0);
        if (r.type === 'verified') verified = r.hello;
      }
    }
    if (verified === undefined) throw new Error('no verified ClientHello');
    const server = DtlsConnection.acceptVerified(pair.endpoint.options, verified, 0, A);
    expect(server.peerAddress).toEqual(A);
    // Finish the handshake with every server-bound datagram from A.
    for (let i = 0; i < 20 && !(client.state === 'established' && server.state === 'established'); i++) {
      for (const d of server.datagramsToSend()) client.receive(d, 0);
      for (const d of client.datagramsToSend()) server.receive(d, 0, A);
    }
    expect(server.state).toBe('established');
    while (server.pollEvent() !== undefined);
    // Application data from B: DTLS 1.2 without a connection ID (RFC 9146 6 needs one) never moves
    // the peer address; the record is still read as before (the router decides what comes here).
    client.send(utf8('from elsewhere'));
    for (const d of client.datagramsToSend()) server.receive(d, 0, B);
    expect(server.peerAddress).toEqual(A);
    const data = server.pollEvent();
    expect(data?.type).toBe('data');
    // And from A again: still A.
    client.send(utf8('home'));
    for (const d of client.datagramsToSend()) server.receive(d, 0, { ...A });
    expect(server.peerAddress).toEqual(A);
    // The getter hands out a copy.
    const seen = server.peerAddress;
    if (seen) Object.assign(seen, { port: 1 });
    expect(server.peerAddress).toEqual(A);
  });
});
