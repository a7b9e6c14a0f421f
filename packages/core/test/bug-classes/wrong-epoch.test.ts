/**
 * Bug class 2: records of the wrong epoch or under the wrong keys. A record of a future epoch
 * (beyond the next one), of an epoch already left, or protected with keys we do not hold
 * (epoch 1 before the ChangeCipherSpec, forged or garbled) is never processed: RFC 6347
 * 4.1.2.7 "invalid records SHOULD be silently discarded" — no alert, no event, the counters say
 * it — and the handshake or the connection goes on. The next epoch alone may be held, capped
 * (RFC 6347 4.1: a Finished may overtake its ChangeCipherSpec).
 *
 * Covered elsewhere, not repeated: application data in epoch 0 (../engine/records.test.ts), an
 * epoch-0 alert or ClientHello after the handshake (../engine/alerts.test.ts), the record layer's
 * epoch rules in isolation (../record/record-layer.test.ts "epochs"), and a handshake record under
 * the application keys after the handshake, i.e. renegotiation (renegotiation-and-closure.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { concatBytes, utf8 } from '../../src/bytes.js';
import type { DtlsConnection } from '../../src/connection.js';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import { ContentType } from '../../src/record/content-type.js';
import { encodeRecord } from '../../src/record/record-header.js';
import { handshakeFragment, Pair } from '../engine/harness.js';
import { handshakeTypes, records } from '../support/wire.js';
import { recordsOfConn } from './inject.js';

/** A record of any epoch with a body that cannot authenticate (random bytes where ciphertext should be). */
function garbled(type: number, epoch: number, sequenceNumber: number, length = 48): Uint8Array {
  return encodeRecord({ type, version: 0xfefd, epoch, sequenceNumber }, new Uint8Array(length).fill(0xa5));
}

/** Feeds `junk` to `conn` and checks it changed nothing visible: no event, nothing to send, the state as it was. */
function expectSilent(conn: DtlsConnection, junk: readonly Uint8Array[], now: number): void {
  const state = conn.state;
  const handshakeState = conn.handshakeState;
  const before = conn.stats;
  for (const d of junk) conn.receive(d, now);
  expect(conn.pollEvent()).toBeUndefined();
  expect(conn.datagramsToSend()).toEqual([]);
  expect(conn.state).toBe(state);
  expect(conn.handshakeState).toBe(handshakeState);
  const after = conn.stats;
  expect(after.dropped + after.badMac + after.held + after.replayed).toBeGreaterThan(before.dropped + before.badMac + before.held + before.replayed);
}

const TYPES = [ContentType.handshake, ContentType.application_data, ContentType.alert, ContentType.change_cipher_spec];

describe('during the handshake', () => {
  it('future epochs (2, 3, 0xffff) and protected-looking epoch-1 records before the ChangeCipherSpec: dropped or held, never processed; the handshake completes', async () => {
    const p = new Pair();
    let done = false;
    p.tap = (d, dir) => {
      if (dir === 'c2s' && !done && handshakeTypes(d).includes(HandshakeType.client_key_exchange)) {
        done = true;
        const junk = TYPES.flatMap((t, i) => [garbled(t, 2, 10 + i), garbled(t, 3, 20 + i), garbled(t, 0xffff, 30 + i), garbled(t, 1, 40 + i)]);
        expectSilent(p.s, junk, p.now);
        // The epoch-1 ones wait for the keys (capped), and fail to authenticate when they come.
        expect(p.s.stats.held).toBe(TYPES.length);
      }
      return [d];
    };
    await p.handshake();
    expect(p.s.stats.badMac).toBeGreaterThanOrEqual(TYPES.length);
    expect(p.serverEvents.map((e) => e.type)).toEqual(['handshake-complete']);
  });

  it('the client: future-epoch and garbled epoch-1 records before the server ChangeCipherSpec are never processed', async () => {
    const p = new Pair();
    let done = false;
    p.tap = (d, dir) => {
      if (dir === 's2c' && !done && records(d).some((r) => r.header.type === ContentType.change_cipher_spec)) {
        done = true;
        expectSilent(p.client, TYPES.flatMap((t, i) => [garbled(t, 1, 50 + i), garbled(t, 2, 60 + i), garbled(t, 7, 70 + i)]), p.now);
      }
      return [d];
    };
    await p.handshake();
    expect(p.clientEvents.map((e) => e.type)).toEqual(['handshake-complete']);
  });

  it('a flood of epoch-1 records before the keys holds at most 32 of them (copied), and the handshake completes', async () => {
    const p = new Pair();
    let done = false;
    p.tap = (d, dir) => {
      if (dir === 'c2s' && !done && handshakeTypes(d).includes(HandshakeType.client_key_exchange)) {
        done = true;
        for (let i = 0; i < 5000; i++) p.s.receive(garbled(ContentType.handshake, 1, i, 1000), p.now);
        expect(recordsHeld(p.s)).toBeLessThanOrEqual(32);
      }
      return [d];
    };
    await p.handshake();
  });

  it('a forged epoch-1 record held ahead of the real Finished, with its sequence number: it never counts, and the real one is not dropped as its replay', async () => {
    const p = new Pair();
    let done = false;
    p.tap = (d, dir) => {
      if (dir === 's2c' && !done && records(d).some((r) => r.header.type === ContentType.change_cipher_spec)) {
        done = true;
        const fake = encodeRecord({ type: ContentType.handshake, version: 0xfefd, epoch: 1, sequenceNumber: 0 }, handshakeFragment(HandshakeType.finished, 4, new Uint8Array(12)));
        return [concatBytes(fake), d];
      }
      return [d];
    };
    // No time passes: completing at once means the genuine Finished was not taken for a replay of
    // the forgery that got held first with the same sequence number.
    await p.handshake();
    expect(p.client.stats.badMac).toBe(1);
    expect(p.client.stats.retransmissions).toBe(0);
  });
});

describe('after the handshake', () => {
  it('past (epoch 0), future (2, 9, 0xffff) and garbled current-epoch records: dropped silently, the connection still carries data', async () => {
    const p = await new Pair().handshake();
    for (const conn of [p.client, p.s]) {
      const junk = TYPES.flatMap((t, i) => [garbled(t, 0, 500 + i, 2), garbled(t, 2, i), garbled(t, 9, i), garbled(t, 0xffff, i), garbled(t, 1, 900 + i)]);
      expectSilent(conn, junk, p.now);
      expect(recordsOfConn(conn).readEpoch).toBe(1);
    }
    p.client.send(utf8('still here'));
    p.s.send(utf8('and here'));
    p.step();
    expect(p.serverEvents.filter((e) => e.type === 'data')).toHaveLength(1);
    expect(p.clientEvents.filter((e) => e.type === 'data')).toHaveLength(1);
  });
});

function recordsHeld(conn: DtlsConnection): number {
  const layer: unknown = Reflect.get(conn, 'records');
  const held: unknown = typeof layer === 'object' && layer !== null ? Reflect.get(layer, 'heldCount') : undefined;
  if (typeof held !== 'number') throw new Error('no heldCount');
  return held;
}
