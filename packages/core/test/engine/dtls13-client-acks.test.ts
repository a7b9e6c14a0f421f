/**
 * Our DTLS 1.3 client's side of RFC 9147 5.8 and 7, with our server in process (harness.ts Pair,
 * virtual time): the client's last flight stays until the server's ACK, resent by the timer of
 * 5.8.2 meanwhile; a gap in the server's flight is acknowledged at once (7.1), so the server
 * resends only the missing part, before its own timer would; a KeyUpdate of the client's is
 * resent until acknowledged (RFC 9147 8). wolfSSL's server against the same client:
 * test/interop/wolfssl13-client-acks.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { AckDisruption } from '../../src/handshake/common/ack-disruption.js';
import { clientX509, serverX509 } from '../support/test-certificates.js';
import { Pair } from './harness.js';

const V13 = { minVersion: 'DTLSv1.3', maxVersion: 'DTLSv1.3' } as const;

/** RFC 9147 4: a unified-header record whose epoch's low two bits are `bits` (first byte 001CSLEE). */
function unifiedEpochBits(d: Uint8Array, bits: number): boolean {
  const first = d[0] ?? 0;
  return (first & 0xe0) === 0x20 && (first & 0x03) === bits;
}

describe('AckDisruption (RFC 9147 7.1: a disruption in the incoming flight)', () => {
  it('in-order fragments are no disruption; one past a gap is, once per gap; delivery moves the frontier', () => {
    const d = new AckDisruption();
    expect(d.arrived({ messageSeq: 0, fragmentOffset: 0, length: 10, fragmentLength: 10 })).toBe(false);
    expect(d.arrived({ messageSeq: 1, fragmentOffset: 0, length: 300, fragmentLength: 100 })).toBe(false);
    // 100..200 of message 1 is missing.
    expect(d.arrived({ messageSeq: 1, fragmentOffset: 200, length: 300, fragmentLength: 100 })).toBe(true);
    expect(d.arrived({ messageSeq: 2, fragmentOffset: 0, length: 5, fragmentLength: 5 })).toBe(false);
    // The gap filled: the frontier moves to the end of what filled it; delivery moves it past the buffered messages.
    expect(d.arrived({ messageSeq: 1, fragmentOffset: 100, length: 300, fragmentLength: 100 })).toBe(false);
    d.delivered(3);
    expect(d.arrived({ messageSeq: 3, fragmentOffset: 0, length: 4, fragmentLength: 4 })).toBe(false);
    expect(d.arrived({ messageSeq: 5, fragmentOffset: 0, length: 4, fragmentLength: 4 })).toBe(true);
    // Old messages (a retransmission of what was delivered) are no disruption.
    expect(d.arrived({ messageSeq: 0, fragmentOffset: 0, length: 10, fragmentLength: 10 })).toBe(false);
  });
});

describe('DTLS 1.3 client: flights with ACKs (RFC 9147 5.8, 7)', () => {
  it('keeps its Finished until the server ACKs it: resent by the timer at 1 s, then 2 s later, then let go', async () => {
    const sent: { at: number; datagram: Uint8Array }[] = [];
    let serverAcksDropped = 0;
    const p = new Pair({
      client: V13,
      // No NewSessionTicket: a post-handshake message would tell the client the server has its Finished (5.8.1).
      server: { ...V13, sessionTickets: false },
      tap: (d, direction) => {
        if (direction === 'c2s') sent.push({ at: p.now, datagram: d });
        // The server's epoch-3 records before any data: its ACKs of our Finished. The first two are lost.
        if (direction === 's2c' && unifiedEpochBits(d, 3) && serverAcksDropped < 2) {
          serverAcksDropped++;
          return [];
        }
        return [d];
      },
    });
    p.start();
    await p.run(60_000);
    expect(p.client.state).toBe('established');
    expect(p.s.state).toBe('established');
    expect(serverAcksDropped).toBe(2);
    // Our Finished (epoch 2) went out three times: at once, then at +1 s and +3 s (5.8.2: doubling).
    const finished = sent.filter((s) => unifiedEpochBits(s.datagram, 2));
    const times = finished.map((s) => s.at - (finished[0]?.at ?? 0));
    expect(times).toEqual([0, 1000, 3000]);
    expect(p.client.stats.retransmissions).toBe(2);
    expect(p.client.stats.acksReceived).toBe(1);
    // Acknowledged: no timer any more, nothing more sent.
    expect(p.client.nextTimeout()).toBeUndefined();
    const before = sent.length;
    await p.run(120_000);
    expect(sent.length).toBe(before);
  });

  it("a lost datagram of the server's flight: the client ACKs what it has at once, the server resends only the rest, before its timer", async () => {
    let flightDatagrams = 0;
    let dropped = 0;
    const p = new Pair({
      client: { ...V13, psk: undefined, x509: clientX509(), mtu: 300 },
      server: { ...V13, psk: undefined, x509: serverX509('ecdsa'), mtu: 300 },
      tap: (d, direction) => {
        // After the HelloRetryRequest (the endpoint's), the server's flight: ServerHello, then the
        // epoch-2 records over several datagrams. The second of those is lost.
        if (direction === 's2c' && p.server !== undefined && p.client.state === 'handshaking') {
          flightDatagrams++;
          if (flightDatagrams === 2) {
            dropped = d.length;
            return [];
          }
        }
        return [d];
      },
    });
    p.start();
    await p.run(60_000);
    expect(p.client.state).toBe('established');
    expect(dropped).toBeGreaterThan(0);
    expect(flightDatagrams).toBeGreaterThan(3);
    // 7.1: the gap made the client ACK at once; the server resent only what it showed lost.
    expect(p.client.stats.acksSent).toBeGreaterThanOrEqual(1);
    expect(p.s.stats.retransmittedDatagrams).toBe(1);
    expect(p.s.stats.retransmittedBytes).toBeLessThanOrEqual(dropped);
    // All of it well before the server's retransmission timer (1 s) would have fired.
    expect(p.now).toBeLessThan(1000);
  });

  it('KeyUpdate (RFC 9147 8): ours is resent until the server ACKs it; only then do our records move to epoch 4', async () => {
    let dropKeyUpdates = 0;
    const p = await new Pair({
      client: V13,
      server: V13,
      tap: (d, direction) => {
        // Our epoch-3 handshake records once the test asked for a KeyUpdate: the first two are lost.
        if (direction === 'c2s' && dropKeyUpdates > 0 && unifiedEpochBits(d, 3)) {
          dropKeyUpdates--;
          return [];
        }
        return [d];
      },
    }).handshake();
    dropKeyUpdates = 2;
    p.client.keyUpdate(false);
    await p.run(60_000);
    expect(dropKeyUpdates).toBe(0);
    expect(p.client.stats.retransmissions).toBe(2);
    // Data now goes in epoch 4 and arrives.
    const before = p.wire.length;
    p.client.send(new TextEncoder().encode('after the update'));
    await p.run();
    const out = p.wire.slice(before).filter((w) => w.direction === 'c2s');
    expect(out.some((w) => unifiedEpochBits(w.datagram, 0))).toBe(true);
    expect(p.serverEvents.some((e) => e.type === 'data' && new TextDecoder().decode(e.data) === 'after the update')).toBe(true);
    expect(() => p.s.keyUpdate()).toThrow(/client/);
  });
});
