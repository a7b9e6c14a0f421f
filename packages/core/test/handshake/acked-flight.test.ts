import { describe, expect, it } from 'vitest';
import { AckScheduler, MAX_ACK_ENTRIES, ackEntriesFitting } from '../../src/handshake/common/ack-scheduler.js';
import { encodeAck } from '../../src/record/ack.js';
import { AckedFlightTransmitter } from '../../src/handshake/common/acked-flight-transmitter.js';
import { ByteRanges } from '../../src/handshake/common/byte-ranges.js';
import type { FlightHandshakeMessage } from '../../src/handshake/common/flight.js';
import { MAX_TRACKED_RECORDS, type RecordNumber, SentFlightLedger } from '../../src/handshake/common/sent-flight-ledger.js';
import { type NumberedSealer, serializeUnacked } from '../../src/handshake/common/unacked-flight.js';
import { decodeHandshakeFragments, type HandshakeFragment } from '../../src/handshake/handshake-header.js';

/**
 * A sealer whose records are a 5-byte stand-in header (type, epoch, 3-byte sequence number) and
 * the plaintext, numbered per epoch as a record layer numbers them (RFC 9147 4), with a log of
 * every record so a test can name records in ACKs and read the fragments back.
 */
function numberingSealer(overhead = 5): NumberedSealer & { log: Array<{ number: RecordNumber; fragments: HandshakeFragment[] }> } {
  const next = new Map<number, number>();
  const log: Array<{ number: RecordNumber; fragments: HandshakeFragment[] }> = [];
  return {
    log,
    recordOverhead: () => overhead,
    seal(type, payload, epoch) {
      const sequenceNumber = next.get(epoch) ?? 0;
      next.set(epoch, sequenceNumber + 1);
      const number = { epoch, sequenceNumber };
      log.push({ number, fragments: decodeHandshakeFragments(payload) });
      const record = new Uint8Array(overhead + payload.length);
      record.set([type, epoch, sequenceNumber >> 16, (sequenceNumber >> 8) & 0xff, sequenceNumber & 0xff]);
      record.set(payload, overhead);
      return { record, number };
    },
  };
}

const bytes = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);

/**
 * The server's first flight of RFC 9147 figure 6 (ServerHello in epoch 0, the rest in epoch 2),
 * with a Certificate large enough to need three fragments at MTU 300.
 */
const serverFlight: FlightHandshakeMessage[] = [
  { kind: 'handshake', msgType: 2, messageSeq: 0, body: bytes(90, 2), epoch: 0 },
  { kind: 'handshake', msgType: 8, messageSeq: 1, body: bytes(20, 8), epoch: 2 },
  { kind: 'handshake', msgType: 11, messageSeq: 2, body: bytes(700, 11), epoch: 2 },
  { kind: 'handshake', msgType: 15, messageSeq: 3, body: bytes(72, 15), epoch: 2 },
  { kind: 'handshake', msgType: 20, messageSeq: 4, body: bytes(32, 20), epoch: 2 },
];

describe('ByteRanges: the acknowledged parts of one message', () => {
  it('merges overlapping and touching ranges, and lists the gaps', () => {
    const r = new ByteRanges(100);
    r.add(10, 20);
    r.add(30, 40);
    expect(r.missing()).toEqual([
      [0, 10],
      [20, 30],
      [40, 100],
    ]);
    r.add(20, 30); // touches both: one range 10..40
    expect(r.size).toBe(30);
    r.add(5, 15);
    r.add(35, 120); // clipped to the message
    expect(r.missing()).toEqual([[0, 5]]);
    expect(r.size).toBe(95);
    r.add(0, 5);
    expect(r.complete).toBe(true);
    expect(r.missing()).toEqual([]);
  });

  it('counts a byte once however often it is added', () => {
    const r = new ByteRanges(10);
    for (let i = 0; i < 5; i++) r.add(2, 6);
    r.add(0, 3);
    expect(r.size).toBe(6);
  });

  it('an empty message is complete only once its empty fragment is acknowledged', () => {
    const r = new ByteRanges(0);
    expect(r.complete).toBe(false);
    expect(r.missing()).toEqual([[0, 0]]);
    r.add(0, 0);
    expect(r.complete).toBe(true);
    expect(r.missing()).toEqual([]);
  });
});

describe('serializeUnacked and the ledger: what a retransmission carries (RFC 9147 5.8.1, 7.3)', () => {
  it('a first transmission sends every message, one fragment per record, each record in the ledger', () => {
    const sealer = numberingSealer();
    const ledger = new SentFlightLedger(serverFlight.map((m) => m.body.length));
    const datagrams = serializeUnacked(serverFlight, ledger, sealer, 300);
    // 1 + 1 + 3 (700 bytes at 300 - 5 - 12 = 283 a fragment) + 1 + 1 records.
    expect(sealer.log.map((l) => [l.number.epoch, l.number.sequenceNumber])).toEqual([
      [0, 0],
      [2, 0],
      [2, 1],
      [2, 2],
      [2, 3],
      [2, 4],
      [2, 5],
    ]);
    expect(sealer.log.map((l) => l.fragments.length)).toEqual([1, 1, 1, 1, 1, 1, 1]);
    expect(datagrams.every((d) => d.length <= 300)).toBe(true);
    expect(ledger.complete).toBe(false);
  });

  it('after an ACK for some records, only the rest goes out again, with the right fragment offsets', () => {
    const sealer = numberingSealer();
    const ledger = new SentFlightLedger(serverFlight.map((m) => m.body.length));
    serializeUnacked(serverFlight, ledger, sealer, 300);
    // The peer got everything but the ServerHello record and the middle Certificate fragment.
    expect(ledger.acknowledge([{ epoch: 2, sequenceNumber: 0 }, { epoch: 2, sequenceNumber: 1 }, { epoch: 2, sequenceNumber: 3 }, { epoch: 2, sequenceNumber: 4 }, { epoch: 2, sequenceNumber: 5 }])).toBe('progress');
    sealer.log.length = 0;
    serializeUnacked(serverFlight, ledger, sealer, 300);
    const resent = sealer.log.map((l) => l.fragments[0]).map((f) => f && { msgType: f.msgType, offset: f.fragmentOffset, length: f.body.length, total: f.length, seq: f.messageSeq });
    expect(resent).toEqual([
      { msgType: 2, offset: 0, length: 90, total: 90, seq: 0 },
      { msgType: 11, offset: 283, length: 283, total: 700, seq: 2 },
    ]);
    // The retransmission's records are new numbers (records are never sent twice, RFC 9147 4).
    expect(sealer.log.map((l) => l.number)).toEqual([
      { epoch: 0, sequenceNumber: 1 },
      { epoch: 2, sequenceNumber: 6 },
    ]);
    // An ACK of the retransmitted records completes the flight.
    expect(ledger.acknowledge(sealer.log.map((l) => l.number))).toBe('complete');
    sealer.log.length = 0;
    expect(serializeUnacked(serverFlight, ledger, sealer, 300)).toEqual([]);
  });

  it('an ACK counts whichever transmission it names; unknown or repeated numbers change nothing', () => {
    const sealer = numberingSealer();
    const flight = serverFlight.slice(0, 2);
    const ledger = new SentFlightLedger(flight.map((m) => m.body.length));
    serializeUnacked(flight, ledger, sealer, 300); // records 0/0 and 2/0
    serializeUnacked(flight, ledger, sealer, 300); // the same again as 0/1 and 2/1
    expect(ledger.acknowledge([{ epoch: 7, sequenceNumber: 0 }, { epoch: 0, sequenceNumber: 99 }])).toBe('nothing-new');
    expect(ledger.acknowledge([{ epoch: 0, sequenceNumber: 0 }])).toBe('progress'); // first sending of the ServerHello
    expect(ledger.acknowledge([{ epoch: 0, sequenceNumber: 1 }])).toBe('nothing-new'); // its retransmission: nothing new
    expect(ledger.acknowledge([{ epoch: 2, sequenceNumber: 1 }])).toBe('complete'); // the retransmitted EncryptedExtensions
  });

  it('an empty message (EndOfEarlyData-like, or an empty KeyUpdate body) is sent as one empty fragment and acknowledged like any other', () => {
    const sealer = numberingSealer();
    const flight: FlightHandshakeMessage[] = [{ kind: 'handshake', msgType: 5, messageSeq: 7, body: new Uint8Array(0), epoch: 3 }];
    const ledger = new SentFlightLedger([0]);
    serializeUnacked(flight, ledger, sealer, 300);
    expect(sealer.log).toHaveLength(1);
    expect(sealer.log[0]?.fragments[0]?.body.length).toBe(0);
    expect(ledger.acknowledge([{ epoch: 3, sequenceNumber: 0 }])).toBe('complete');
  });

  it('keeps at most MAX_TRACKED_RECORDS record mappings: an ACK naming a forgotten record acknowledges nothing', () => {
    const ledger = new SentFlightLedger([MAX_TRACKED_RECORDS + 10]);
    for (let i = 0; i < MAX_TRACKED_RECORDS + 10; i++) ledger.recordSent({ epoch: 2, sequenceNumber: i }, [{ message: 0, offset: i, length: 1 }]);
    expect(ledger.acknowledge([{ epoch: 2, sequenceNumber: 0 }])).toBe('nothing-new');
    expect(ledger.acknowledge([{ epoch: 2, sequenceNumber: MAX_TRACKED_RECORDS + 9 }])).toBe('progress');
    expect(ledger.missing(0)[0]).toEqual([0, MAX_TRACKED_RECORDS + 9]);
  });
});

function transmitter(): { tx: AckedFlightTransmitter; sealer: ReturnType<typeof numberingSealer>; datagrams: Uint8Array[][] } {
  const sealer = numberingSealer();
  const datagrams: Uint8Array[][] = [];
  const tx = new AckedFlightTransmitter({ retransmit: { initialMs: 1000, maxMs: 8000 }, mtu: 300 }, { transmit: (d) => datagrams.push([...d]), sealer });
  return { tx, sealer, datagrams };
}

describe('AckedFlightTransmitter: RFC 9147 5.8.1 with ACKs', () => {
  it('a partial ACK sends only the unacknowledged part at once and re-arms the timer at its current value', () => {
    const { tx, sealer } = transmitter();
    tx.send(serverFlight, false, 0);
    expect(tx.state).toBe('waiting');
    expect(tx.deadline).toBe(1000);
    const all = sealer.log.map((l) => l.number);
    sealer.log.length = 0;
    expect(tx.onAck(all.slice(1), 400)).toBe('progress'); // everything but the ServerHello record
    expect(sealer.log.map((l) => l.fragments[0]?.msgType)).toEqual([2]);
    expect(tx.deadline).toBe(1400);
    expect(tx.retransmissions).toBe(1);
  });

  it('a partial ACK resends at once only what was sent before the newest record it names (the rest may still arrive); the timer resends the rest', () => {
    const { tx, sealer } = transmitter();
    tx.send(serverFlight, false, 0);
    const all = sealer.log.map((l) => l.number);
    expect(all.length).toBe(7); // ServerHello, EncryptedExtensions, 3 Certificate fragments, CertificateVerify, Finished
    sealer.log.length = 0;
    // The peer has the ServerHello, EncryptedExtensions and the second Certificate fragment: the first is lost, the rest still travelling.
    expect(tx.onAck([all[0], all[1], all[3]].flatMap((n) => (n === undefined ? [] : [n])), 300)).toBe('progress');
    expect(sealer.log.map((l) => [l.fragments[0]?.msgType, l.fragments[0]?.fragmentOffset])).toEqual([[11, 0]]);
    expect(tx.retransmissions).toBe(1);
    sealer.log.length = 0;
    // Nothing new in an ACK: nothing sent at once.
    expect(tx.onAck([all[0], all[1]].flatMap((n) => (n === undefined ? [] : [n])), 350)).toBe('nothing-new');
    expect(sealer.log).toHaveLength(0);
    // The timer: everything not acknowledged.
    tx.onTimer(2000);
    expect(sealer.log.map((l) => l.fragments[0]?.msgType)).toEqual([11, 11, 15, 20]);
  });

  it('the timer resends only what is unacknowledged, doubling; an ACK for the whole flight cancels retransmission', () => {
    const { tx, sealer } = transmitter();
    tx.send(serverFlight, false, 0);
    const first = sealer.log.map((l) => l.number);
    sealer.log.length = 0;
    tx.onAck(first.slice(0, 6), 100); // all but the Finished, the last record: it may still be on its way
    expect(sealer.log).toHaveLength(0);
    tx.onTimer(1100);
    expect(sealer.log.map((l) => l.fragments[0]?.msgType)).toEqual([20]);
    expect(tx.deadline).toBe(1100 + 2000);
    expect(tx.onAck([sealer.log[0]?.number ?? { epoch: 0, sequenceNumber: 0 }], 1200)).toBe('complete');
    expect(tx.deadline).toBeUndefined();
    // Not a final flight: the peer's next flight (an implicit ACK) still ends it.
    expect(tx.state).toBe('waiting');
    sealer.log.length = 0;
    tx.onTimer(10_000);
    tx.onPeerRetransmission(10_000);
    expect(sealer.log).toHaveLength(0);
  });

  it('a final flight (the client Finished, a NewSessionTicket) is FINISHED once fully acknowledged', () => {
    const { tx, sealer } = transmitter();
    const finished: FlightHandshakeMessage[] = [{ kind: 'handshake', msgType: 20, messageSeq: 1, body: bytes(32, 20), epoch: 2 }];
    tx.send(finished, true, 0);
    tx.onTimer(1000);
    expect(sealer.log).toHaveLength(2);
    expect(tx.onAck([sealer.log[1]?.number ?? { epoch: 0, sequenceNumber: 0 }], 1100)).toBe('complete');
    expect(tx.state).toBe('finished');
    expect(tx.deadline).toBeUndefined();
  });

  it('the peer retransmitting what we answer triggers at most one resend per datagram', () => {
    const { tx, sealer } = transmitter();
    tx.send(serverFlight.slice(0, 1), false, 0);
    sealer.log.length = 0;
    tx.beginDatagram();
    tx.onPeerRetransmission(10);
    tx.onPeerRetransmission(10);
    expect(sealer.log).toHaveLength(1);
    tx.beginDatagram();
    tx.onPeerRetransmission(20);
    expect(sealer.log).toHaveLength(2);
  });

  it('the next flight from the peer acknowledges ours implicitly: nothing more is sent', () => {
    const { tx, sealer } = transmitter();
    tx.send(serverFlight, false, 0);
    tx.acknowledgeImplicitly();
    expect(tx.state).toBe('preparing');
    sealer.log.length = 0;
    tx.onTimer(5000);
    expect(sealer.log).toHaveLength(0);
  });

  it('keeps the doubled timer for the next flight after a retransmission, and resets it after a clean exchange (5.8.2)', () => {
    const { tx } = transmitter();
    tx.send(serverFlight.slice(0, 1), false, 0);
    tx.onTimer(1000); // 2000 now
    tx.acknowledgeImplicitly();
    tx.send(serverFlight.slice(0, 1), false, 5000);
    expect(tx.deadline).toBe(7000);
    tx.acknowledgeImplicitly();
    tx.send(serverFlight.slice(0, 1), false, 9000);
    expect(tx.deadline).toBe(10_000);
  });
});

describe('AckScheduler: which records to ACK and when (RFC 9147 7, 7.1)', () => {
  const n = (epoch: number, sequenceNumber: number): RecordNumber => ({ epoch, sequenceNumber });

  it('lists the records in numerically increasing order, each once, and arms a timer of a quarter of the timeout at the first', () => {
    const s = new AckScheduler();
    s.received(n(2, 5), 100, 1000);
    s.received(n(2, 3), 150, 1000);
    s.received(n(0, 9), 160, 1000);
    s.received(n(2, 3), 170, 1000);
    expect(s.deadline).toBe(350);
    expect(s.due(349)).toBe(false);
    expect(s.due(350)).toBe(true);
    expect(s.take()).toEqual([n(0, 9), n(2, 3), n(2, 5)]);
    expect(s.deadline).toBeUndefined();
  });

  it('a disruption makes the ACK due at once; it may be empty (nothing decryptable yet)', () => {
    const s = new AckScheduler();
    s.disrupted(42);
    expect(s.due(42)).toBe(true);
    expect(s.take()).toEqual([]);
  });

  it('a complete flight that our next flight answers needs no ACK; one that only an ACK answers gets it at once', () => {
    const s = new AckScheduler();
    s.received(n(2, 0), 0, 1000);
    s.flightComplete(10, false);
    expect(s.deadline).toBeUndefined();
    s.received(n(2, 1), 20, 1000);
    s.flightComplete(30, true);
    expect(s.due(30)).toBe(true);
  });

  it("the peer's next flight clears the list (ACKs cover the current flight only)", () => {
    const s = new AckScheduler();
    s.received(n(0, 0), 0, 1000);
    s.nextFlight();
    expect(s.size).toBe(0);
    expect(s.deadline).toBeUndefined();
    s.received(n(2, 0), 5, 1000);
    expect(s.take()).toEqual([n(2, 0)]);
  });

  it('an ACK carries at most MAX_ACK_ENTRIES, records not yet acknowledged first; the list stays bounded', () => {
    const s = new AckScheduler();
    for (let i = 0; i < MAX_ACK_ENTRIES; i++) s.received(n(3, i), 0, 1000);
    expect(s.take()).toHaveLength(MAX_ACK_ENTRIES);
    s.received(n(3, 1000), 1, 1000);
    const second = s.take(4);
    // The new record, then the newest of those already named.
    expect(second).toEqual([n(3, MAX_ACK_ENTRIES - 3), n(3, MAX_ACK_ENTRIES - 2), n(3, MAX_ACK_ENTRIES - 1), n(3, 1000)]);
    for (let i = 0; i < 10 * MAX_ACK_ENTRIES; i++) s.received(n(4, i), 2, 1000);
    expect(s.size).toBe(2 * MAX_ACK_ENTRIES);
  });

  it('an ACK record fits the MTU (RFC 9147 4.4, 7.1 "as many ... as can fit"): ackEntriesFitting', () => {
    // mtu 64 (MIN_MTU), AES-128-CCM-8 in epoch 3: 5-byte unified header, inner type, 8-byte tag.
    const overhead = 5 + 1 + 8;
    expect(ackEntriesFitting(64, overhead)).toBe(3);
    const s = new AckScheduler();
    for (let i = 0; i < 5; i++) s.received(n(3, i), 0, 1000);
    const body = encodeAck(s.take(ackEntriesFitting(64, overhead)));
    expect(body.length + overhead).toBeLessThanOrEqual(64);
    expect(ackEntriesFitting(1200, 22)).toBe(MAX_ACK_ENTRIES);
    expect(ackEntriesFitting(64, 62)).toBe(0);
  });
});
