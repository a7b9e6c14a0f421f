import { describe, expect, it } from 'vitest';
import { AlertDescription, AlertLevel } from '../../src/alert.js';
import { DtlsConnection } from '../../src/connection.js';
import { peekClientHello } from '../../src/endpoint/client-hello-peek.js';
import { ConnectionTable, type RestartDetection } from '../../src/endpoint/connection-table.js';
import { plaintextAlert } from '../../src/endpoint/plaintext-alert.js';
import { encodeHandshakeFragment } from '../../src/handshake/handshake-header.js';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import { ContentType } from '../../src/record/content-type.js';
import { encodeRecord } from '../../src/record/record-header.js';
import { clientPsk } from '../support/psk.js';

/** A real client's first ClientHello datagram and its random. */
function clientHello(): { datagram: Uint8Array; random: Uint8Array } {
  const client = DtlsConnection.client({ psk: clientPsk() });
  client.connect(0);
  const datagram = client.datagramsToSend()[0];
  const random = client.clientRandom;
  if (datagram === undefined || random === undefined) throw new Error('no ClientHello');
  return { datagram, random };
}

interface Fake {
  random: Uint8Array | undefined;
  established: boolean;
}
const detection: RestartDetection<Fake> = { clientRandom: (c) => c.random, established: (c) => c.established };
const A = { address: '127.0.0.1', port: 5000 };

describe('peekClientHello', () => {
  it('finds a ClientHello and its random; nothing in other records', () => {
    const { datagram, random } = clientHello();
    expect(peekClientHello(datagram)?.random).toEqual(random);
    expect(peekClientHello(new Uint8Array(0))).toBeUndefined();
    expect(peekClientHello(datagram.subarray(0, 20))).toBeUndefined();
    const appData = encodeRecord({ type: ContentType.application_data, version: 0xfefd, epoch: 1, sequenceNumber: 1 }, new Uint8Array(40));
    expect(peekClientHello(appData)).toBeUndefined();
    // The same bytes in epoch 1 are not a plaintext ClientHello.
    const epoch1 = datagram.slice();
    epoch1[4] = 1;
    expect(peekClientHello(epoch1)).toBeUndefined();
  });

  it('a later fragment of a ClientHello is one, without a random', () => {
    const body = new Uint8Array(100);
    const fragment = encodeHandshakeFragment({ msgType: HandshakeType.client_hello, length: 300, messageSeq: 0, fragmentOffset: 100, body });
    const datagram = encodeRecord({ type: ContentType.handshake, version: 0xfeff, epoch: 0, sequenceNumber: 3 }, fragment);
    expect(peekClientHello(datagram)).toEqual({ random: undefined });
  });
});

describe('ConnectionTable.route', () => {
  it('a datagram from an unknown address goes to the endpoint, flagged when it is a ClientHello', () => {
    const table = new ConnectionTable<Fake>(detection);
    expect(table.route(clientHello().datagram, A)).toEqual({ type: 'endpoint', clientHello: true, replacing: undefined });
    expect(table.route(new Uint8Array([1, 2, 3]), A)).toEqual({ type: 'endpoint', clientHello: false, replacing: undefined });
  });

  it('a restarted client (another random, RFC 6347 4.2.8) goes to the endpoint, naming the connection it replaces', () => {
    const table = new ConnectionTable<Fake>(detection);
    const old: Fake = { random: clientHello().random, established: true };
    table.insert(A, old);
    expect(table.route(clientHello().datagram, A)).toEqual({ type: 'endpoint', clientHello: true, replacing: old });
  });

  it('its own ClientHello again goes to a handshaking connection, and is dropped once established', () => {
    const table = new ConnectionTable<Fake>(detection);
    const { datagram, random } = clientHello();
    const conn: Fake = { random, established: false };
    table.insert(A, conn);
    expect(table.route(datagram, A)).toEqual({ type: 'connection', connection: conn });
    conn.established = true;
    expect(table.route(datagram, A)).toMatchObject({ type: 'drop', connection: conn });
    // Anything else goes to the connection.
    expect(table.route(new Uint8Array([23, 0xfe, 0xfd]), A)).toEqual({ type: 'connection', connection: conn });
  });

  it('without restart detection every datagram from a connection address goes to it', () => {
    const table = new ConnectionTable<string>();
    table.insert(A, 'conn');
    expect(table.route(clientHello().datagram, A)).toEqual({ type: 'connection', connection: 'conn' });
  });

  it('keys by address and port, IPv6 included; remove() leaves a newer connection in place', () => {
    const table = new ConnectionTable<string>();
    table.insert({ address: '::1:2', port: 3 }, 'x');
    table.insert({ address: '::1', port: 23 }, 'y');
    expect(table.get({ address: '::1:2', port: 3 })).toBe('x');
    expect(table.get({ address: '::1', port: 23 })).toBe('y');
    expect(table.get({ address: '::1:2', port: 4 })).toBeUndefined();
    table.insert(A, 'old');
    table.insert(A, 'new');
    expect(table.remove(A, 'old')).toBe(false);
    expect(table.get(A)).toBe('new');
    expect(table.remove(A, 'new')).toBe(true);
    expect(table.size).toBe(2);
    expect([...table.values()]).toEqual(['x', 'y']);
  });

  it('routes a run of datagrams from one address to its connection, and follows every change of hands at that address', () => {
    const table = new ConnectionTable<string>();
    const data = encodeRecord({ type: ContentType.application_data, version: 0xfefd, epoch: 1, sequenceNumber: 1 }, new Uint8Array(8));
    const route = (from: { address: string; port: number }): unknown => table.route(data, from);
    table.insert(A, 'a');
    // Fresh address objects and strings each time, as node:dgram's rinfo.
    for (let i = 0; i < 3; i++) expect(route({ address: ['127', '0', '0', '1'].join('.'), port: 5000 })).toEqual({ type: 'connection', connection: 'a' });
    expect(route({ ...A, port: 5001 })).toEqual({ type: 'endpoint', clientHello: false, replacing: undefined });
    table.insert(A, 'b');
    expect(route(A)).toEqual({ type: 'connection', connection: 'b' });
    expect(table.remove(A, 'a')).toBe(false);
    expect(route(A)).toEqual({ type: 'connection', connection: 'b' });
    expect(table.remove(A, 'b')).toBe(true);
    expect(route(A)).toEqual({ type: 'endpoint', clientHello: false, replacing: undefined });
    table.insert({ address: '::1', port: 5000 }, 'v6');
    expect(route({ address: '::1', port: 5000 })).toEqual({ type: 'connection', connection: 'v6' });
    expect(route(A)).toEqual({ type: 'endpoint', clientHello: false, replacing: undefined });
  });
});

describe('plaintextAlert', () => {
  it('is an epoch-0 DTLS 1.2 alert record with the ClientHello record sequence number (RFC 6347 4.2.1)', () => {
    const seq = 2 ** 40 + 0x0102_0304;
    expect([...plaintextAlert(seq, AlertLevel.fatal, AlertDescription.internal_error)]).toEqual([
      21, 0xfe, 0xfd, 0, 0, 0x01, 0x00, 0x01, 0x02, 0x03, 0x04, 0, 2, 2, 80,
    ]);
    expect([...plaintextAlert(7, AlertLevel.warning, AlertDescription.close_notify)]).toEqual([21, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 7, 0, 2, 1, 0]);
  });
});
