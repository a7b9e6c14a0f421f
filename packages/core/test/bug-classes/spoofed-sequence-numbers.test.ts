/**
 * Plaintext cannot stall a handshake silently (issue 12, point 5).
 *
 * RFC 6347 4.1.2.6 moves the replay window only for validated records ("the receive window is
 * updated only if the MAC verification succeeds"). An epoch-0 record has no MAC; when any
 * well-framed one moved the window, a single spoofed 14-byte record with sequence number
 * 2^48-1 pushed every real epoch-0 record left of the window: each was then dropped as a
 * replay and the handshake died at its deadline, with no alert and no reason. Now a plaintext
 * record enters the window only once the handshake has taken its content.
 */
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/bytes.js';
import { AlertDescription, AlertLevel } from '../../src/alert.js';
import { encodeHandshakeFragment } from '../../src/handshake/handshake-header.js';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import { ContentType } from '../../src/record/content-type.js';
import { MAX_SEQUENCE_NUMBER } from '../../src/record/record-header.js';
import { handshakeFragment, Pair, plainRecord } from '../engine/harness.js';
import { handshakeTypes } from '../support/wire.js';
import { reassemblerOf } from './inject.js';

/** 13-byte header + 1 byte: a ChangeCipherSpec with the last sequence number there is. */
const spoofedChangeCipherSpec = (): Uint8Array => plainRecord(ContentType.change_cipher_spec, new Uint8Array([1]), MAX_SEQUENCE_NUMBER);

/** Runs the handshake with `inject` fed to the side named by `into` once, when `when` sees a datagram. */
async function handshakeWith(
  into: 'server' | 'client',
  when: (datagram: Uint8Array, direction: 'c2s' | 's2c') => boolean,
  inject: (p: Pair) => Uint8Array,
  afterwards?: (p: Pair) => void,
): Promise<Pair> {
  const p = new Pair({ client: { handshakeTimeoutMs: 20_000 }, server: { handshakeTimeoutMs: 20_000 } });
  let done = false;
  p.tap = (d, dir) => {
    if (!done && when(d, dir)) {
      done = true;
      const spoofed = inject(p);
      if (into === 'server') p.s.receive(spoofed, p.now);
      else p.client.receive(spoofed, p.now);
      afterwards?.(p);
    }
    return [d];
  };
  p.start();
  await p.run(30_000);
  expect(done).toBe(true);
  return p;
}

/** Completed with no timer fired: no retransmission was needed, no time passed. */
function expectCompletedAtOnce(p: Pair): void {
  console.log(
    `handshake: client ${p.client.state}, server ${p.server?.state}; virtual time ${p.now} ms; ` +
      `retransmissions ${p.client.stats.retransmissions}/${p.server?.stats.retransmissions}; ` +
      `replays dropped ${p.client.stats.replayed}/${p.server?.stats.replayed}`,
  );
  expect(p.client.state).toBe('established');
  expect(p.server?.state).toBe('established');
  expect(p.now).toBe(0);
  expect(p.client.stats.retransmissions + (p.server?.stats.retransmissions ?? 0)).toBe(0);
}

const beforeFlight5 = (d: Uint8Array, dir: 'c2s' | 's2c'): boolean => dir === 'c2s' && handshakeTypes(d).includes(HandshakeType.client_key_exchange);

describe('a spoofed epoch-0 record with sequence number 2^48-1', () => {
  it('a 14-byte ChangeCipherSpec to the server before flight 5: the handshake completes at once', async () => {
    const p = await handshakeWith('server', beforeFlight5, spoofedChangeCipherSpec);
    expect(spoofedChangeCipherSpec().length).toBe(14);
    expectCompletedAtOnce(p);
  });

  it('a 14-byte ChangeCipherSpec to the client before the HelloVerifyRequest: the handshake completes at once', async () => {
    const p = await handshakeWith('client', (_d, dir) => dir === 'c2s', spoofedChangeCipherSpec);
    expectCompletedAtOnce(p);
  });

  it('a 15-byte warning alert to the server: noted, but it does not move the window', async () => {
    const p = await handshakeWith('server', beforeFlight5, () =>
      plainRecord(ContentType.alert, new Uint8Array([AlertLevel.warning, AlertDescription.no_renegotiation]), MAX_SEQUENCE_NUMBER),
    );
    expectCompletedAtOnce(p);
  });

  it('a handshake fragment the reassembler buffers (a message ahead) but that never completes: the window does not move', async () => {
    let buffered = 0;
    const p = await handshakeWith('server', beforeFlight5, (pair) => {
      const fragment = { msgType: HandshakeType.finished, length: 100, messageSeq: reassemblerOf(pair.s).nextSeq + 3, fragmentOffset: 0, body: new Uint8Array(1) };
      return plainRecord(ContentType.handshake, encodeHandshakeFragment(fragment), MAX_SEQUENCE_NUMBER);
    }, (pair) => (buffered = reassemblerOf(pair.s).bufferedBytes));
    expect(buffered).toBeGreaterThan(0);
    expectCompletedAtOnce(p);
  });

  it('a spoofed ClientHello retransmission to the server: no flight 4 again, and no stall', async () => {
    const p = await handshakeWith('server', beforeFlight5, () =>
      plainRecord(ContentType.handshake, handshakeFragment(HandshakeType.client_hello, 1, utf8('not the real ClientHello')), MAX_SEQUENCE_NUMBER),
    );
    expectCompletedAtOnce(p);
  });
});

describe('genuine epoch-0 records still enter the window once used', () => {
  it('an exact copy of the ClientHello datagram the connection was made from is a replay: no flight 4 again', async () => {
    const p = await new Pair().handshake();
    const hellos = p.wire.filter((w) => w.direction === 'c2s' && handshakeTypes(w.datagram).includes(HandshakeType.client_hello));
    const withCookie = hellos[hellos.length - 1]?.datagram;
    if (withCookie === undefined) throw new Error('no ClientHello on the wire');
    const replayed = p.s.stats.replayed;
    p.s.receive(withCookie, p.now);
    expect(p.s.datagramsToSend()).toEqual([]);
    expect(p.s.stats.replayed).toBe(replayed + 1);
  });

  it('an exact copy of flight 5 after the handshake: every epoch-0 record of it is a replay', async () => {
    const p = await new Pair().handshake();
    const flight5 = p.wire.find((w) => w.direction === 'c2s' && handshakeTypes(w.datagram).includes(HandshakeType.client_key_exchange))?.datagram;
    if (flight5 === undefined) throw new Error('no flight 5 on the wire');
    const replayed = p.s.stats.replayed;
    p.s.receive(flight5, p.now);
    expect(p.s.datagramsToSend()).toEqual([]);
    // ClientKeyExchange (epoch 0, used), ChangeCipherSpec (epoch 0: never marked, ignored as a
    // repeat), Finished (epoch 1, authenticated).
    expect(p.s.stats.replayed - replayed).toBeGreaterThanOrEqual(2);
  });
});
