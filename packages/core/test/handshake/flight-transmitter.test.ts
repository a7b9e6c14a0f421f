import { describe, expect, it } from 'vitest';
import { FlightTransmitter } from '../../src/handshake/common/flight-transmitter.js';
import type { FlightMessage } from '../../src/handshake/common/flight.js';

/** A transmitter whose records are the plaintext payload behind a 1-byte type: datagrams are counted. */
function setup(): { tx: FlightTransmitter; sent: Uint8Array[][] } {
  const sent: Uint8Array[][] = [];
  const tx = new FlightTransmitter(
    { retransmit: { initialMs: 1000, maxMs: 4000 }, mtu: 1200 },
    {
      transmit: (datagrams) => sent.push([...datagrams]),
      records: { seal: (type, payload) => Uint8Array.of(type, ...payload) },
      recordOverhead: () => 13,
    },
  );
  return { tx, sent };
}

const flight: FlightMessage[] = [{ kind: 'handshake', msgType: 2, messageSeq: 1, body: new Uint8Array([1, 2, 3]), epoch: 0 }];
const answered = { msgType: 1, messageSeq: 0, body: new Uint8Array([9, 8, 7]) };
const answeredFragment = { msgType: 1, length: 3, messageSeq: 0, fragmentOffset: 0, body: new Uint8Array([9, 8, 7]) };

describe('FlightTransmitter: the RFC 6347 4.2.4 states', () => {
  it('starts PREPARING without a timer; a flight that expects an answer leaves it WAITING with the timer armed', () => {
    const { tx, sent } = setup();
    expect(tx.state).toBe('preparing');
    expect(tx.deadline).toBeUndefined();
    tx.send(flight, false, { ...answered, epoch: 0 }, 100);
    expect(tx.state).toBe('waiting');
    expect(tx.deadline).toBe(1100);
    expect(sent).toHaveLength(1);
  });

  it('WAITING --timer expires--> SENDING --> WAITING, the timer doubled up to its cap (4.2.4.1)', () => {
    const { tx, sent } = setup();
    tx.send(flight, false, undefined, 0);
    tx.onTimer(999);
    expect(sent).toHaveLength(1);
    tx.onTimer(1000);
    expect(sent).toHaveLength(2);
    expect(tx.state).toBe('waiting');
    expect(tx.deadline).toBe(3000);
    tx.onTimer(3000);
    expect(tx.deadline).toBe(7000);
    tx.onTimer(7000);
    expect(tx.deadline).toBe(11_000); // capped at maxMs 4000
    expect(tx.retransmissions).toBe(3);
  });

  it('WAITING --read retransmit--> SENDING --> WAITING: once per datagram, the timer re-armed at its current value', () => {
    const { tx, sent } = setup();
    tx.send(flight, false, { ...answered, epoch: 0 }, 0);
    expect(tx.isRetransmissionOfAnswered(answeredFragment, 0)).toBe(true);
    expect(tx.isRetransmissionOfAnswered(answeredFragment, 1)).toBe(false);
    expect(tx.isRetransmissionOfAnswered({ ...answeredFragment, body: new Uint8Array([9, 8, 6]) }, 0)).toBe(false);
    tx.beginDatagram();
    tx.onPeerRetransmission(500);
    tx.onPeerRetransmission(500);
    expect(sent).toHaveLength(2);
    expect(tx.state).toBe('waiting');
    expect(tx.deadline).toBe(1500);
  });

  it('PREPARING stops the timer: nothing is retransmitted while the next flight is computed', () => {
    const { tx, sent } = setup();
    tx.send(flight, false, undefined, 0);
    tx.prepare();
    expect(tx.state).toBe('preparing');
    expect(tx.deadline).toBeUndefined();
    tx.onTimer(10_000);
    expect(sent).toHaveLength(1);
  });

  it('the last flight leaves it FINISHED: no timer, but a peer retransmission is still answered; finish(false) forgets the flight', () => {
    const { tx, sent } = setup();
    tx.send(flight, true, { ...answered, epoch: 0 }, 0);
    expect(tx.state).toBe('finished');
    expect(tx.deadline).toBeUndefined();
    tx.beginDatagram();
    tx.onPeerRetransmission(100);
    expect(sent).toHaveLength(2);
    expect(tx.state).toBe('finished');
    expect(tx.deadline).toBeUndefined();
    tx.finish(false);
    expect(tx.isRetransmissionOfAnswered(answeredFragment, 0)).toBe(false);
  });
});
