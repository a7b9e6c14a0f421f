/**
 * Bug class 2 for DTLS 1.3 (RFC 9147 4, 6.1, 8): records of the wrong epoch. Epoch 0 carries the
 * hellos in the clear and nothing after the ServerHello; epoch 2 the rest of the handshake under
 * the handshake keys; application data only from epoch 3 on, one epoch more per KeyUpdate.
 *
 * - handshake messages in the clear (epoch 0) after the ServerHello are never taken for the
 *   protected ones (an attacker can forge them): dropped, the handshake completes;
 * - application data under the handshake keys (epoch 2) can only come from the peer itself: a
 *   protocol violation, unexpected_message (RFC 8446 5), never delivered;
 * - records of an epoch the receiver does not have yet, or no longer keeps after KeyUpdates, are
 *   dropped silently (RFC 9147 4.5.2), and the connection goes on;
 * - a DTLS 1.2 record (13-byte header, legacy_record_version) carrying a 1.3 epoch's ciphertext,
 *   and a ChangeCipherSpec, are not DTLS 1.3 records (4.1): dropped.
 */
import { describe, expect, it } from 'vitest';
import { AlertDescription } from '../../src/alert.js';
import { concatBytes, utf8 } from '../../src/bytes.js';
import type { DtlsConnection } from '../../src/connection.js';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import { ContentType } from '../../src/record/content-type.js';
import { encodeRecord } from '../../src/record/record-header.js';
import { expectLocalFailure, expectPeerFailure, Pair, plainRecord } from '../engine/harness.js';
import { handshakeTypes } from '../support/wire.js';
import { clientKeyUpdate } from '../fuzz/dtls13-scenarios.js';
import { spans13 } from '../fuzz/dtls13-mutations.js';
import { fragment, layerOf, V13 } from './inject-13.js';

const TIMING = { handshakeTimeoutMs: 6_000 };

function pair(): Pair {
  return new Pair({ client: { ...V13, ...TIMING }, server: { ...V13, ...TIMING } });
}

function dataOf(events: readonly { type: string }[]): string[] {
  return events.flatMap((e) => ('data' in e && e.data instanceof Uint8Array ? [Buffer.from(e.data).toString()] : []));
}

/** The handshake reassembler's next expected message_seq. */
function nextSeq(conn: DtlsConnection): number {
  const handshake: unknown = Reflect.get(conn, 'handshake');
  const reassembler: unknown = typeof handshake === 'object' && handshake !== null ? Reflect.get(handshake, 'reassembler') : undefined;
  const seq: unknown = typeof reassembler === 'object' && reassembler !== null ? Reflect.get(reassembler, 'nextSeq') : undefined;
  if (typeof seq !== 'number') throw new Error('no reassembler');
  return seq;
}

describe('epoch 0 after the ServerHello', () => {
  it.each([
    // A well-formed EncryptedExtensions (no extensions): the very message the client waits for, but in the clear.
    ['EncryptedExtensions', HandshakeType.encrypted_extensions, Uint8Array.of(0, 0)],
    ['Certificate', HandshakeType.certificate, new Uint8Array(32)],
    ['Finished', HandshakeType.finished, new Uint8Array(32)],
    ['KeyUpdate', HandshakeType.key_update, Uint8Array.of(0)],
  ])('a plaintext %s at the next message_seq, ahead of the protected flight → unexpected_message at the client, never taken', async (_name, type, body) => {
    const p = pair();
    let forged = 0;
    p.tap = (d, dir) => {
      // The server connection's ServerHello (the endpoint's HelloRetryRequest is one too, before any connection).
      if (dir !== 's2c' || p.server === undefined || !handshakeTypes(d).includes(HandshakeType.server_hello) || forged > 0) return [d];
      forged++;
      // The ServerHello's datagram also carries epoch-2 records: the forgery goes first, at the message_seq after the ServerHello.
      const serverHelloSeq = nextSeq(p.client);
      return [plainRecord(ContentType.handshake, fragment(type, serverHelloSeq + 1, body), 900), d];
    };
    p.start();
    await p.run(10_000);
    expect(forged).toBe(1);
    expectLocalFailure(p.client, p.clientEvents, AlertDescription.unexpected_message);
    expect(p.client.error?.message).toContain('in the clear');
    expectPeerFailure(p.server, p.serverEvents, AlertDescription.unexpected_message);
  });

  it('a plaintext Finished to the server in wait_finished: never taken, the handshake completes with the real one', async () => {
    const p = pair();
    let forged = 0;
    p.tap = (d, dir) => {
      if (dir !== 'c2s' || p.server === undefined || p.s.handshakeState !== 'wait_finished' || forged > 0) return [d];
      forged++;
      return [plainRecord(ContentType.handshake, fragment(HandshakeType.finished, nextSeq(p.s), new Uint8Array(32)), 900), d];
    };
    p.start();
    await p.run(10_000);
    expect(forged).toBe(1);
    expect(p.s.state).toBe('established');
    expect(p.client.state).toBe('established');
  });
});

describe('application data under the handshake keys (epoch 2)', () => {
  it('from the client before its Finished → unexpected_message at the server, never delivered', async () => {
    const p = pair();
    let forged = 0;
    p.tap = (d, dir) => {
      if (dir !== 'c2s' || p.server === undefined || p.s.handshakeState !== 'wait_finished' || forged > 0) return [d];
      forged++;
      return [layerOf(p.client).seal(ContentType.application_data, utf8('under the handshake keys'), 2), d];
    };
    p.start();
    await p.run(10_000);
    expect(forged).toBe(1);
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.unexpected_message);
    expect(dataOf(p.serverEvents)).toEqual([]);
    expectPeerFailure(p.client, p.clientEvents, AlertDescription.unexpected_message);
  });

  it('from the client once established (sealed while it still had the handshake keys) → unexpected_message, never delivered', async () => {
    // Without a ticket to ACK the client sends nothing under epoch 3, so the server still reads
    // epoch 2 (for a retransmitted Finished) when the record comes: once it does, epoch 2 is gone.
    const p = new Pair({ client: { ...V13, ...TIMING }, server: { ...V13, ...TIMING, sessionTickets: false } });
    let early: Uint8Array | undefined;
    p.tap = (d, dir) => {
      if (dir === 'c2s' && early === undefined && p.server !== undefined && p.s.handshakeState === 'wait_finished') early = layerOf(p.client).seal(ContentType.application_data, utf8('late, under the handshake keys'), 2);
      return [d];
    };
    await p.handshake();
    if (early === undefined) throw new Error('nothing sealed under epoch 2');
    p.s.receive(early, p.now);
    p.drainEvents();
    expectLocalFailure(p.s, p.serverEvents, AlertDescription.unexpected_message);
    expect(dataOf(p.serverEvents)).toEqual([]);
  });
});

/** A unified-header record (RFC 9147 4) with the epoch bits, the length, and a body that cannot authenticate. */
function garbledUnified(epochBits: number, seq: number, length = 40): Uint8Array {
  return concatBytes(Uint8Array.of(0x2c | (epochBits & 3), (seq >> 8) & 0xff, seq & 0xff, 0, length), new Uint8Array(length).fill(0xa5));
}

describe('epochs not installed yet', () => {
  it('during the handshake: records claiming epochs 1, 3 (and 4 by its bits) at both sides are held or dropped, never processed; the handshake completes', async () => {
    const p = pair();
    let injected = false;
    p.tap = (d, dir) => {
      if (dir !== 'c2s' || injected || p.server === undefined || p.s.handshakeState !== 'wait_finished') return [d];
      injected = true;
      const junk = [0, 1, 3].flatMap((bits) => [garbledUnified(bits, 100 + bits), garbledUnified(bits, 200 + bits, 300)]);
      for (const j of junk) {
        p.s.receive(j, p.now);
        p.client.receive(j, p.now);
      }
      expect(p.s.pollEvent()).toBeUndefined();
      expect(p.s.datagramsToSend()).toEqual([]);
      expect(p.s.handshakeState).toBe('wait_finished');
      return [d];
    };
    p.start();
    await p.run(10_000);
    expect(injected).toBe(true);
    expect(p.s.state).toBe('established');
    expect(p.client.state).toBe('established');
    expect(p.serverEvents.map((e) => e.type)).toEqual(['handshake-complete']);
  });
});

describe('after KeyUpdates: old epochs', () => {
  it.each([
    [1, true],
    [2, false],
    [3, false],
    [5, false],
  ])('client application data sealed under epoch 3, delivered after %i KeyUpdate(s): taken only while epoch 3 is the previous one (%s); the connection goes on', async (updates, taken) => {
    const p = await pair().handshake();
    const layer = layerOf(p.client);
    const old = layer.seal(ContentType.application_data, utf8('sealed in epoch 3'), 3);
    for (let i = 0; i < updates; i++) {
      clientKeyUpdate(p.client);
      await p.run();
      expect(layer.writeEpoch).toBe(4 + i);
    }
    p.toServer(old);
    p.drainEvents();
    expect(p.s.state).toBe('established');
    expect(dataOf(p.serverEvents)).toEqual(taken ? ['sealed in epoch 3'] : []);
    p.client.send(utf8('current'));
    await p.run();
    expect(dataOf(p.serverEvents)).toContain('current');
  });

  it('12 KeyUpdates: the server reads two epochs at most, not one more per KeyUpdate (RFC 9147 4.2.1)', async () => {
    const p = await pair().handshake();
    for (let i = 0; i < 12; i++) {
      clientKeyUpdate(p.client);
      await p.run();
    }
    expect(layerOf(p.client).writeEpoch).toBe(15);
    expect(layerOf(p.s).readEpochsHeld).toEqual([14, 15]);
  });
});

describe('DTLS 1.2 records in a DTLS 1.3 connection (RFC 9147 4.1)', () => {
  it('an epoch-3 ciphertext re-framed with a 13-byte DTLS 1.2 header (legacy_record_version fefd, epoch 3), and a ChangeCipherSpec: dropped; the genuine record still delivered', async () => {
    const p = await pair().handshake();
    p.client.send(utf8('genuine'));
    const genuine = p.client.datagramsToSend();
    const [record] = genuine.flatMap((d) => spans13(d).map((s) => ({ d, s })));
    if (record === undefined) throw new Error('no record');
    const ciphertext = record.d.subarray(record.s.bodyAt, record.s.end);
    for (const version of [0xfefd, 0xfefc, 0xfeff]) {
      for (const type of [ContentType.application_data, ContentType.handshake, ContentType.alert, 26]) {
        p.s.receive(encodeRecord({ type, version, epoch: 3, sequenceNumber: 7 }, ciphertext), p.now);
      }
    }
    p.s.receive(plainRecord(ContentType.change_cipher_spec, Uint8Array.of(1), 50), p.now);
    p.drainEvents();
    expect(p.s.state).toBe('established');
    expect(dataOf(p.serverEvents)).toEqual([]);
    for (const d of genuine) p.toServer(d);
    p.drainEvents();
    expect(dataOf(p.serverEvents)).toEqual(['genuine']);
  });
});
