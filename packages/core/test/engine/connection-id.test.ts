/**
 * Connection IDs end to end in memory (RFC 9146): the connection_id extension in both hellos,
 * then tls12_cid records (content type 25) carrying the receiver's CID in every epoch after the
 * ChangeCipherSpec — Finished, application data and alerts — and plain DTLS 1.2 records where the
 * CID of a direction is empty or CIDs are off.
 */
import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../../src/bytes.js';
import { ContentType } from '../../src/record/content-type.js';
import { splitRecords } from '../../src/record/datagram.js';
import { tls12CidRecordFormat } from '../../src/record/tls12-cid-record-format.js';
import { decodeHandshakeFragments } from '../../src/handshake/handshake-header.js';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import { decodeClientHello } from '../../src/handshake/messages/client-hello.js';
import { decodeServerHello } from '../../src/handshake/messages/server-hello.js';
import { ExtensionType } from '../../src/handshake/extensions/extension-type.js';
import { findExtension } from '../../src/handshake/extensions/extension.js';
import type { ClientOptions, ServerOptions } from '../../src/config.js';
import { type Direction, Pair } from './harness.js';
import { closeEvent } from '../support/event-log.js';

const SUITES = ['PSK-AES128-GCM-SHA256', 'ECDHE-PSK-CHACHA20-POLY1305', 'PSK-AES128-CCM8'];

/** The first byte and, for a type-25 record, the CID of every record after the handshake's epoch 0. */
function protectedRecords(p: Pair, direction: Direction, cidLength: number): { type: number; cid: string }[] {
  const out: { type: number; cid: string }[] = [];
  for (const w of p.wire) {
    if (w.direction !== direction) continue;
    let at = 0;
    const d = w.datagram;
    while (at + 13 <= d.length) {
      const type = d[at] ?? 0;
      const epoch = ((d[at + 3] ?? 0) << 8) | (d[at + 4] ?? 0);
      const cidLen = type === ContentType.tls12_cid ? cidLength : 0;
      const length = ((d[at + 11 + cidLen] ?? 0) << 8) | (d[at + 12 + cidLen] ?? 0);
      if (epoch > 0) out.push({ type, cid: toHex(d.subarray(at + 11, at + 11 + cidLen)) });
      at += 13 + cidLen + length;
    }
  }
  return out;
}

function helloExtension(p: Pair, direction: Direction, msgType: number): Uint8Array | undefined {
  for (const w of p.wire) {
    if (w.direction !== direction) continue;
    for (const r of splitRecords(w.datagram)) {
      if (r.header.type !== ContentType.handshake || r.header.epoch !== 0) continue;
      for (const f of decodeHandshakeFragments(r.fragment)) {
        if (f.msgType !== msgType || f.fragmentOffset !== 0 || f.body.length !== f.length) continue;
        const hello = msgType === HandshakeType.client_hello ? decodeClientHello(f.body) : decodeServerHello(f.body);
        return findExtension(hello.extensions, ExtensionType.connection_id)?.data;
      }
    }
  }
  return undefined;
}

async function exchange(client: Partial<ClientOptions>, server: Partial<ServerOptions>): Promise<Pair> {
  const p = await new Pair({ client, server }).handshake();
  p.client.send(utf8('ping'));
  await p.run();
  p.s.send(utf8('pong'));
  await p.run();
  const data = (events: typeof p.clientEvents): string[] =>
    events.flatMap((e) => (e.type === 'data' ? [new TextDecoder().decode(e.data)] : []));
  expect(data(p.serverEvents)).toEqual(['ping']);
  expect(data(p.clientEvents)).toEqual(['pong']);
  return p;
}

describe('connection IDs (RFC 9146)', () => {
  it.each(SUITES)('%s: CIDs both ways; every protected record is tls12_cid with the receiver’s CID', async (suite) => {
    const p = await exchange({ cipherSuites: suite, connectionId: { length: 6 } }, { connectionId: { length: 4 } });
    const c = p.client.connectionId;
    const s = p.s.connectionId;
    expect(c?.receive.length).toBe(6);
    expect(s?.receive.length).toBe(4);
    expect(c && toHex(c.send)).toBe(s && toHex(s.receive));
    expect(s && toHex(s.send)).toBe(c && toHex(c.receive));
    const toServer = protectedRecords(p, 'c2s', 4);
    const toClient = protectedRecords(p, 's2c', 6);
    // Finished, then data, in each direction.
    expect(toServer.length).toBeGreaterThanOrEqual(2);
    expect(toClient.length).toBeGreaterThanOrEqual(2);
    expect(toServer.every((r) => r.type === ContentType.tls12_cid && r.cid === toHex(s?.receive ?? new Uint8Array(0)))).toBe(true);
    expect(toClient.every((r) => r.type === ContentType.tls12_cid && r.cid === toHex(c?.receive ?? new Uint8Array(0)))).toBe(true);
    // The extension in each hello carries the CID its sender wants to receive (RFC 9146 3).
    expect(toHex(helloExtension(p, 'c2s', HandshakeType.client_hello) ?? new Uint8Array(0))).toBe('06' + toHex(c?.receive ?? new Uint8Array(0)));
    expect(toHex(helloExtension(p, 's2c', HandshakeType.server_hello) ?? new Uint8Array(0))).toBe('04' + toHex(s?.receive ?? new Uint8Array(0)));
  });

  it('an encrypted alert goes in a CID record too (close_notify), and the peer reads it', async () => {
    const p = await exchange({ connectionId: { length: 5 } }, { connectionId: { length: 5 } });
    const before = p.wire.length;
    p.client.close();
    await p.run();
    const closing = p.wire.slice(before).filter((w) => w.direction === 'c2s');
    expect(closing.length).toBeGreaterThan(0);
    const cid = p.s.connectionId?.receive ?? new Uint8Array(0);
    const records = closing.flatMap((w) => splitRecords(w.datagram, [tls12CidRecordFormat(cid)]));
    expect(records.length).toBeGreaterThan(0);
    expect(records.every((r) => r.header.type === ContentType.tls12_cid)).toBe(true);
    expect(closeEvent(p.serverEvents)).toBeDefined();
    expect(p.s.state).toBe('closed');
  });

  it('a zero-length CID on one side: that side receives plain DTLS 1.2 records, the other tls12_cid', async () => {
    const p = await exchange({ connectionId: { length: 0 } }, { connectionId: { length: 8 } });
    expect(p.client.connectionId?.receive.length).toBe(0);
    expect(p.client.connectionId?.send.length).toBe(8);
    expect([p.client.receiveConnectionIdCount, p.client.receiveConnectionIds.length]).toEqual([0, 0]);
    expect([p.s.receiveConnectionIdCount, p.s.receiveConnectionIds.length]).toEqual([1, 1]);
    const toServer = protectedRecords(p, 'c2s', 8);
    const toClient = protectedRecords(p, 's2c', 0);
    expect(toServer.every((r) => r.type === ContentType.tls12_cid)).toBe(true);
    expect(toClient.length).toBeGreaterThan(0);
    expect(toClient.every((r) => r.type !== ContentType.tls12_cid)).toBe(true);
    expect(toHex(helloExtension(p, 'c2s', HandshakeType.client_hello) ?? new Uint8Array(1))).toBe('00');
  });

  it('the server answers only an offer; a server without the option ignores it; off by default', async () => {
    const onlyServer = await exchange({}, { connectionId: { length: 4 } });
    expect(onlyServer.client.connectionId).toBeUndefined();
    expect(onlyServer.s.connectionId).toBeUndefined();
    expect(helloExtension(onlyServer, 's2c', HandshakeType.server_hello)).toBeUndefined();
    const onlyClient = await exchange({ connectionId: { length: 4 } }, {});
    expect(onlyClient.client.connectionId).toBeUndefined();
    expect(helloExtension(onlyClient, 'c2s', HandshakeType.client_hello)).toBeDefined();
    expect(helloExtension(onlyClient, 's2c', HandshakeType.server_hello)).toBeUndefined();
    for (const p of [onlyServer, onlyClient]) {
      for (const d of ['c2s', 's2c'] as const) expect(protectedRecords(p, d, 0).every((r) => r.type !== ContentType.tls12_cid)).toBe(true);
    }
  });

  it('refuses a CID length outside 0..255', () => {
    expect(() => new Pair({ client: { connectionId: { length: 256 } } })).toThrow(RangeError);
    expect(() => new Pair({ server: { connectionId: { length: -1 } } })).toThrow(RangeError);
  });
});
