/**
 * Bug class 5: sequence numbers. Handshake message_seq out of the window (far future, far
 * past) is dropped without buffering (RFC 6347 4.2.2: messages ahead of the next expected one
 * MAY be buffered — we keep a window of 8 and a byte budget); a final flight replayed after the
 * handshake costs its sender more than it costs us (RFC 6347 4.2.4 answers a retransmission
 * with one retransmission; the replay window of 4.1.2.6 drops exact copies).
 *
 * Already covered, not repeated: the reassembler's window and budget under arbitrary fragment
 * streams (../handshake/reassembler.test.ts), record replay (../engine/records.test.ts,
 * ../record/replay-window.test.ts), one flight per received datagram with fragmented flights
 * (../engine/sim-scripted.test.ts "no amplification").
 */
import { describe, expect, it } from 'vitest';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import { Pair } from '../engine/harness.js';
import { handshakeTypes } from '../support/wire.js';
import { bytesOf, datagram, forgedHandshake, reassemblerOf, renumberPlaintext } from './inject.js';

describe('message_seq outside the window', () => {
  it.each([
    ['far future', (next: number) => next + 9 + 1000],
    ['the last message_seq', () => 0xffff],
    ['just past the window', (next: number) => next + 9],
    ['far past', () => 0],
  ])('%s: dropped by the server mid-handshake, nothing buffered, no answer, the handshake completes', async (_name, seqOf) => {
    const p = new Pair();
    let injected = 0;
    p.tap = (d, dir) => {
      // Just before flight 5 reaches the server: a thousand 1 KB fragments of messages out of the window.
      if (dir === 'c2s' && handshakeTypes(d).includes(HandshakeType.client_key_exchange) && injected === 0) {
        const server = p.s;
        const next = reassemblerOf(server).nextSeq;
        for (let i = 0; i < 1000; i++) {
          server.receive(datagram(forgedHandshake({ msgType: HandshakeType.finished, messageSeq: seqOf(next), length: 60_000, body: new Uint8Array(1000), fragmentOffset: i })), p.now);
          injected++;
        }
        expect(reassemblerOf(server).bufferedBytes).toBe(0);
        expect(server.datagramsToSend()).toEqual([]);
        expect(server.state).toBe('handshaking');
        return [renumberPlaintext(d)];
      }
      return [d];
    };
    await p.handshake();
    expect(injected).toBe(1000);
  });

  it('within the window but never completed: held within the byte budget, the handshake still completes', async () => {
    const p = new Pair();
    let held = 0;
    p.tap = (d, dir) => {
      if (dir === 'c2s' && handshakeTypes(d).includes(HandshakeType.client_key_exchange) && held === 0) {
        const server = p.s;
        const next = reassemblerOf(server).nextSeq;
        // Eight messages ahead, each claiming 64 KB: at most the budget (256 KB) is allocated.
        for (let ahead = 2; ahead <= 8; ahead++) {
          server.receive(datagram(forgedHandshake({ msgType: HandshakeType.certificate, messageSeq: next + ahead, length: 65_536, body: new Uint8Array(100) })), p.now);
        }
        held = reassemblerOf(server).bufferedBytes;
        expect(held).toBeLessThanOrEqual(262_144);
        return [renumberPlaintext(d)];
      }
      return [d];
    };
    await p.handshake();
    expect(held).toBeGreaterThan(0);
  });
});

describe('a final flight replayed after the handshake', () => {
  it("the client's flight 5 replayed 1000 times: no byte in answer (exact copies are replays, RFC 6347 4.1.2.6)", async () => {
    const p = await new Pair().handshake();
    const flight5 = p.wire.filter((w) => w.direction === 'c2s' && handshakeTypes(w.datagram).includes(HandshakeType.client_key_exchange)).map((w) => w.datagram);
    expect(flight5.length).toBeGreaterThan(0);
    let bytesIn = 0;
    let bytesOut = 0;
    for (let i = 0; i < 1000; i++) {
      for (const d of flight5) {
        bytesIn += d.length;
        p.s.receive(d, p.now + i);
        bytesOut += bytesOf(p.s.datagramsToSend());
      }
    }
    expect(bytesOut).toBe(0);
    expect(bytesIn).toBeGreaterThan(0);
    expect(p.s.state).toBe('established');
    expect(p.s.pollEvent()).toBeUndefined();
  });

  it("the client retransmitting flight 5 for real (flight 6 lost each time): one flight 6 per flight 5, bytes out below bytes in", async () => {
    let dropped = 0;
    // No ticket asked: a NewSessionTicket (RFC 5077 3.3) would make flight 6 larger than this PSK flight 5.
    const p = new Pair({ client: { sessionTickets: false }, tap: (d, dir) => (dir === 's2c' && handshakeTypes(d).length === 0 && dropped++ < 4 ? [] : [d]) });
    p.start();
    await p.run(60_000);
    expect(p.client.state).toBe('established');
    const afterFlight5 = p.wire.findIndex((w) => w.direction === 'c2s' && handshakeTypes(w.datagram).includes(HandshakeType.client_key_exchange));
    const later = p.wire.slice(afterFlight5);
    const bytesIn = bytesOf(later.filter((w) => w.direction === 'c2s').map((w) => w.datagram));
    const bytesOut = bytesOf(later.filter((w) => w.direction === 's2c').map((w) => w.datagram));
    expect(p.s.stats.retransmissions).toBe(4);
    expect(bytesOut).toBeLessThanOrEqual(bytesIn);
  });
});
