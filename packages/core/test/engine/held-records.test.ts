/**
 * Records of a future epoch (RFC 6347 4.1: "implementations MAY ... buffer" records of the next
 * epoch, since a Finished may overtake its ChangeCipherSpec) are held only while the handshake
 * can still need them, and bounded in bytes as well as in count (issue 12, point 3).
 *
 * Before: an established connection held 32 records of epoch 2 for ever (renegotiation is
 * refused, so epoch 2 never becomes readable): 32 x 18 KB = ~576 KB per peer, ~5.6 GB at
 * maxConnections; a handshaking one held 32 records of any size.
 */
import { describe, expect, it } from 'vitest';
import type { DtlsConnection } from '../../src/connection.js';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import { ContentType } from '../../src/record/content-type.js';
import { encodeRecord } from '../../src/record/record-header.js';
import { Pair, recordsOf } from './harness.js';
import { handshakeTypes, records } from '../support/wire.js';

/** A record of `epoch` whose body cannot authenticate (what a peer can send of any epoch). */
function junk(epoch: number, sequenceNumber: number, length: number, type: number = ContentType.application_data): Uint8Array {
  return encodeRecord({ type, version: 0xfefd, epoch, sequenceNumber }, new Uint8Array(length).fill(0x5a));
}

function held(conn: DtlsConnection): { count: number; bytes: number } {
  const layer = recordsOf(conn);
  return { count: layer.heldCount, bytes: layer.heldBytes };
}

describe('future-epoch records held by a connection', () => {
  it('an established connection holds none: 32 records of 18 KB of epoch 2 are dropped and counted', async () => {
    const p = await new Pair().handshake();
    for (const [name, conn] of [['client', p.client], ['server', p.s]] as const) {
      const dropped = conn.stats.dropped;
      for (let i = 0; i < 32; i++) conn.receive(junk(2, i, 18 * 1024), p.now);
      const h = held(conn);
      console.log(`established ${name}: 32 epoch-2 records of 18 KB sent, ${h.count} held, ${h.bytes} bytes held`);
      expect(h.count).toBe(0);
      expect(h.bytes).toBe(0);
      expect(conn.stats.dropped - dropped).toBe(32);
      expect(conn.state).toBe('established');
    }
  });

  it('a handshaking server holds at most 4 KiB of epoch-1 records, and the handshake completes', async () => {
    const p = new Pair();
    let peak = { count: 0, bytes: 0 };
    let flooded = false;
    p.tap = (d, dir) => {
      if (dir === 'c2s' && !flooded && handshakeTypes(d).includes(HandshakeType.client_key_exchange)) {
        flooded = true;
        // Before the client's flight 5: the server has no epoch-1 keys yet.
        const see = (): void => {
          const h = held(p.s);
          peak = { count: Math.max(peak.count, h.count), bytes: Math.max(peak.bytes, h.bytes) };
        };
        for (let i = 0; i < 100; i++) {
          p.s.receive(junk(1, 1000 + i, 1000), p.now);
          see();
        }
        for (let i = 0; i < 100; i++) {
          p.s.receive(junk(1, 2000 + i, 18 * 1024), p.now);
          see();
        }
      }
      return [d];
    };
    await p.handshake();
    console.log(`handshaking server: 100 epoch-1 records of 1 KB and 100 of 18 KB sent, at most ${peak.count} held, ${peak.bytes} bytes`);
    expect(peak.count).toBeGreaterThan(0);
    expect(peak.count).toBeLessThanOrEqual(4);
    expect(peak.bytes).toBeLessThanOrEqual(4096);
    // Once its epoch-1 keys are set nothing more is held, ever.
    expect(held(p.s)).toEqual({ count: 0, bytes: 0 });
  });

  it('the genuine Finished that overtakes its ChangeCipherSpec is still held and used (no retransmission needed)', async () => {
    const p = new Pair();
    let reordered = false;
    p.tap = (d, dir) => {
      // Flight 6 (server ChangeCipherSpec + Finished): deliver its epoch-1 record first.
      if (dir === 's2c' && !reordered && carriesChangeCipherSpec(d)) {
        const records = splitAt(d);
        if (records.length >= 2) {
          reordered = true;
          return records.reverse();
        }
      }
      return [d];
    };
    await p.handshake();
    expect(reordered).toBe(true);
    expect(p.client.stats.held).toBe(1);
    expect(p.client.stats.retransmissions).toBe(0);
  });

  it('maxHeldRecordBytes: 0 holds nothing; the overtaking Finished then waits for a retransmission', async () => {
    const p = new Pair({ client: { maxHeldRecordBytes: 0 } });
    let reordered = false;
    p.tap = (d, dir) => {
      if (dir === 's2c' && !reordered && carriesChangeCipherSpec(d)) {
        const records = splitAt(d);
        if (records.length >= 2) {
          reordered = true;
          return records.reverse();
        }
      }
      return [d];
    };
    p.start();
    await p.run(10_000);
    expect(reordered).toBe(true);
    expect(p.client.stats.held).toBe(0);
    expect(p.client.state).toBe('established');
    expect(p.client.stats.retransmissions).toBeGreaterThan(0);
  });

  it('refuses a negative maxHeldRecordBytes', () => {
    expect(() => new Pair({ client: { maxHeldRecordBytes: -1 } })).toThrow(RangeError);
  });
});

function carriesChangeCipherSpec(d: Uint8Array): boolean {
  return records(d).some((r) => r.header.type === ContentType.change_cipher_spec);
}

/** The records of a datagram, each as a datagram of its own. */
function splitAt(d: Uint8Array): Uint8Array[] {
  return records(d).map((r) => encodeRecord(r.header, r.fragment));
}
