/**
 * Targeted faults on the simulated network (its script hook), with exact virtual times.
 *
 * On a clean link (10 ms each way) the exchange is: ClientHello 0 → HelloVerifyRequest 10 →
 * ClientHello+cookie 20 → flight 4 at 30 → flight 5 at 40 → flight 6 at 50 → done at 60.
 * Datagrams are counted per direction from 0: A→B #0 ClientHello, #1 ClientHello+cookie,
 * #2 flight 5; B→A #0 HelloVerifyRequest, #1 flight 4, #2 flight 6.
 */
import { describe, expect, it } from 'vitest';
import type { ScriptHook } from '@dtls-kit/test-kit';
import { HandshakeTimeoutError } from '../../src/errors.js';
import { HandshakeType } from '../../src/handshake/handshake-type.js';
import { ContentType } from '../../src/record/content-type.js';
import { SimPair, type PairOptions, type SentDatagram } from './sim-harness.js';
import { hasChangeCipherSpec, hasHandshake, recordViews } from '../support/wire.js';

const isFlight4 = (d: Uint8Array): boolean => hasHandshake(d, HandshakeType.server_hello);
const isHello = (d: Uint8Array): boolean => hasHandshake(d, HandshakeType.client_hello);
const isHvr = (d: Uint8Array): boolean => hasHandshake(d, HandshakeType.hello_verify_request);

/** Send times of the datagrams of one direction that match. */
function times(sent: readonly SentDatagram[], dir: 'AtoB' | 'BtoA', match: (d: Uint8Array) => boolean = () => true): number[] {
  return sent.filter((s) => s.dir === dir && match(s.datagram)).map((s) => s.time);
}

/** Drops the first `n` datagrams of a direction that match. */
function dropFirst(dir: 'AtoB' | 'BtoA', match: (d: Uint8Array) => boolean, n = 1): ScriptHook {
  let left = n;
  return (d, _index, datagram) => {
    if (d === dir && left > 0 && match(datagram)) {
      left--;
      return 'drop';
    }
    return 'deliver';
  };
}

function combine(...hooks: ScriptHook[]): ScriptHook {
  return (dir, index, datagram) => {
    for (const h of hooks) {
      const r = h(dir, index, datagram);
      if (r !== undefined && r !== 'deliver') return r;
    }
    return 'deliver';
  };
}

async function handshake(options: PairOptions): Promise<SimPair> {
  const pair = new SimPair({ record: true, ...options });
  await pair.handshake();
  return pair;
}

function expectEstablished(pair: SimPair): void {
  expect(pair.client.error).toBeUndefined();
  expect(pair.serverConn?.error).toBeUndefined();
  expect(pair.established).toBe(true);
}

describe('scripted losses', () => {
  it('a clean run takes 60 ms and no retransmission (the baseline for the times below)', async () => {
    const pair = await handshake({});
    expectEstablished(pair);
    expect(pair.clientLog.completedAt).toBe(60);
    expect(pair.serverLog.completedAt).toBe(50);
    expect(times(pair.sent, 'AtoB')).toEqual([0, 20, 40]);
    expect(times(pair.sent, 'BtoA')).toEqual([10, 30, 50]);
  });

  it('HelloVerifyRequest lost: the client resends its ClientHello after 1 s', async () => {
    const pair = await handshake({ script: dropFirst('BtoA', isHvr) });
    expectEstablished(pair);
    expect(times(pair.sent, 'AtoB', isHello)).toEqual([0, 1000, 1020]);
    expect(times(pair.sent, 'BtoA', isHvr)).toEqual([10, 1010]);
    expect(pair.server.endpointResults).toEqual(['reply', 'reply', 'accept']);
    expect(pair.client.stats.retransmissions).toBe(1);
    expect(pair.clientLog.completedAt).toBe(1060);
  });

  it('flight 4 lost: the server answers the retransmitted ClientHello at once, and only once', async () => {
    // The client's timer (20 + 1000) and the server's (30 + 1000) meet at 1030: the server sees
    // the retransmitted ClientHello and its own timer at the same instant. Answering the peer
    // re-arms the timer (RFC 6347 4.2.4: SENDING sets the timer), so flight 4 goes out once.
    const pair = await handshake({ script: dropFirst('BtoA', isFlight4) });
    expectEstablished(pair);
    expect(times(pair.sent, 'AtoB', isHello)).toEqual([0, 20, 1020]);
    expect(times(pair.sent, 'BtoA', isFlight4)).toEqual([30, 1030]);
    expect(pair.serverConn?.stats.retransmissions).toBe(1);
    expect(pair.clientLog.completedAt).toBe(1060);
  });

  it("flight 5 lost: the server's flight-4 timer prompts the client to resend it", async () => {
    const pair = await handshake({ script: dropFirst('AtoB', hasChangeCipherSpec) });
    expectEstablished(pair);
    // Server timer: flight 4 again at 30 + 1000. The client, seeing it, resends flight 5
    // at once (1040, where its own timer would also have fired: it is re-armed instead).
    expect(times(pair.sent, 'BtoA', isFlight4)).toEqual([30, 1030]);
    expect(times(pair.sent, 'AtoB', hasChangeCipherSpec)).toEqual([40, 1040]);
    expect(pair.clientAnswers.answers.filter(([t]) => t === 1040)).toEqual([[1040, 1]]);
    expect(pair.clientLog.completedAt).toBe(1060);
  });

  it("flight 5 lost and the server's retransmission too: the client's own timer resends flight 5", async () => {
    let flight4 = 0;
    const dropSecondFlight4: ScriptHook = (dir, _i, d) => (dir === 'BtoA' && isFlight4(d) && ++flight4 === 2 ? 'drop' : 'deliver');
    const pair = await handshake({ script: combine(dropFirst('AtoB', hasChangeCipherSpec), dropSecondFlight4) });
    expectEstablished(pair);
    expect(times(pair.sent, 'BtoA', isFlight4)).toEqual([30, 1030]);
    expect(times(pair.sent, 'AtoB', hasChangeCipherSpec)).toEqual([40, 1040]);
    // Nothing reached the client at 1040: the retransmission is its timer's (40 + 1000).
    expect(pair.clientAnswers.answers.filter(([t]) => t === 1040)).toEqual([]);
    expect(pair.client.stats.retransmissions).toBe(1);
    expect(pair.clientLog.completedAt).toBe(1060);
  });

  it('flight 6 lost twice: each retransmitted flight 5 makes the server resend flight 6 at once, without a timer', async () => {
    const pair = await handshake({ script: dropFirst('BtoA', hasChangeCipherSpec, 2) });
    expectEstablished(pair);
    // Client timer: 40 + 1000, then + 2000.
    const flight5 = times(pair.sent, 'AtoB', hasChangeCipherSpec);
    expect(flight5).toEqual([40, 1040, 3040]);
    // The server answers each copy on arrival (10 ms later): it has no timer once finished.
    expect(times(pair.sent, 'BtoA', hasChangeCipherSpec)).toEqual(flight5.map((t) => t + 10));
    expect(pair.serverConn?.stats.retransmissions).toBe(2);
    expect(pair.client.stats.retransmissions).toBe(2);
    expect(pair.serverLog.completedAt).toBe(50);
    expect(pair.clientLog.completedAt).toBe(3060);
  });

  it('the server in its final state arms no timer', async () => {
    const pair = new SimPair({ script: dropFirst('BtoA', hasChangeCipherSpec, 1000) });
    pair.client.connect(0);
    await pair.runUntil(() => pair.serverConn?.state === 'established');
    expect(pair.serverConn?.nextTimeout()).toBeUndefined();
  });
});

describe('reordering: ChangeCipherSpec after Finished', () => {
  /** Rewrites the first datagram of `dir` that has a ChangeCipherSpec into its records, one per datagram, in `order`. */
  function reorderFinalFlight(dir: 'AtoB' | 'BtoA', order: (types: string[]) => number[]): ScriptHook {
    let done = false;
    return (d, _i, datagram) => {
      if (d !== dir || done || !hasChangeCipherSpec(datagram)) return 'deliver';
      done = true;
      const recs = recordViews(datagram);
      const names = recs.map((r) => (r.type === ContentType.change_cipher_spec ? 'CCS' : r.epoch > 0 ? 'Finished' : 'ClientKeyExchange'));
      return order(names).map((i) => recs[i]?.bytes ?? new Uint8Array(0));
    };
  }
  const permutations = (n: number): number[][] =>
    n === 0 ? [[]] : permutations(n - 1).flatMap((p) => Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]));

  it('both sides: Finished before ChangeCipherSpec costs no retransmission and no time', async () => {
    const swap = (names: string[]): number[] => {
      const fin = names.indexOf('Finished');
      const ccs = names.indexOf('CCS');
      return names.map((_, i) => (i === fin ? ccs : i === ccs ? fin : i));
    };
    const pair = await handshake({ script: combine(reorderFinalFlight('AtoB', swap), reorderFinalFlight('BtoA', swap)) });
    expectEstablished(pair);
    expect(pair.clientLog.completedAt).toBe(60);
    expect(pair.client.stats.retransmissions).toBe(0);
    expect(pair.serverConn?.stats.retransmissions).toBe(0);
    // The Finished really came first: each side held it until the ChangeCipherSpec.
    expect(pair.client.stats.held).toBe(1);
    expect(pair.serverConn?.stats.held).toBe(1);
  });

  it.each(permutations(3).map((p) => [p.join(',')]))('flight 5 records delivered in order %s', async (order) => {
    const perm = order.split(',').map(Number);
    const pair = await handshake({ script: reorderFinalFlight('AtoB', () => perm) });
    expectEstablished(pair);
    expect(pair.clientLog.completedAt).toBe(60);
    expect(pair.client.stats.retransmissions + (pair.serverConn?.stats.retransmissions ?? 0)).toBe(0);
  });
});

describe('no amplification', () => {
  it('exact duplicates of the final flights are replays: nothing is sent in answer', async () => {
    const times5 = (_d: 'AtoB' | 'BtoA', _i: number, datagram: Uint8Array): Uint8Array[] | 'deliver' =>
      hasChangeCipherSpec(datagram) ? [datagram, datagram, datagram, datagram, datagram] : 'deliver';
    const pair = await handshake({ script: times5 });
    expectEstablished(pair);
    await pair.runUntil(() => false, 5_000);
    expect(times(pair.sent, 'BtoA', hasChangeCipherSpec)).toEqual([50]);
    expect(times(pair.sent, 'AtoB', hasChangeCipherSpec)).toEqual([40]);
    expect(pair.serverConn?.stats.retransmissions).toBe(0);
    expect(pair.client.stats.retransmissions).toBe(0);
    expect(pair.serverConn?.stats.replayed).toBeGreaterThanOrEqual(4);
  });

  it('at most one flight in answer to each received datagram, however often the final flight is replayed', async () => {
    // Fragmented flights (128-byte identity, MTU 150): flight 5 spans several datagrams, every
    // one of them duplicated 4 times, and the server's flight 6 is lost 5 times.
    const identity = new TextEncoder().encode('i'.repeat(128));
    const key = new Uint8Array(32).fill(9);
    const copies: ScriptHook = (dir, _i, datagram) => (dir === 'AtoB' ? [datagram, datagram, datagram, datagram] : 'deliver');
    const pair = await handshake({
      mtu: 150,
      suite: 'TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256',
      // No ticket asked: flight 6 is ChangeCipherSpec, Finished in one datagram (no NewSessionTicket, RFC 5077 3.3).
      client: { psk: { type: 'psk', resolve: () => ({ identity, key }) }, sessionTickets: false },
      server: { psk: { type: 'psk', identityHint: undefined, lookup: () => key } },
      script: combine(dropFirst('BtoA', hasChangeCipherSpec, 5), copies),
    });
    expectEstablished(pair);
    const flight5 = pair.sent.filter((s) => s.dir === 'AtoB' && s.time >= 40);
    const flight5Transmissions = new Set(flight5.map((s) => s.time)).size;
    expect(flight5.length).toBeGreaterThan(flight5Transmissions); // several datagrams per flight 5
    const finishedAt = pair.serverLog.completedAt ?? Number.NaN;
    const flight6Size = pair.sent.filter((s) => s.dir === 'BtoA' && s.time === finishedAt).length;
    expect(flight6Size).toBe(1);
    // Each datagram received once the server has finished gets at most one flight 6 in answer...
    const late = pair.serverAnswers.answers.filter(([t]) => t >= finishedAt);
    expect(late.length).toBeGreaterThan(20);
    for (const [, n] of late) expect(n).toBeLessThanOrEqual(flight6Size);
    // ...and each retransmission of flight 5 (several datagrams, each delivered 4 times) gets one.
    expect(pair.serverConn?.stats.retransmissions).toBe(flight5Transmissions - 1);
    expect(times(pair.sent, 'BtoA', hasChangeCipherSpec).length).toBe(flight5Transmissions);
  });
});

describe('retransmission timer (RFC 6347 4.2.4.1)', () => {
  it('defaults: 1 s, doubling; the 60 s deadline ends the handshake with HandshakeTimeoutError and sends nothing', async () => {
    const pair = new SimPair({ record: true, bToA: { loss: 1 } });
    await pair.handshake();
    expect(times(pair.sent, 'AtoB')).toEqual([0, 1000, 3000, 7000, 15000, 31000]);
    expect(pair.client.state).toBe('closed');
    expect(pair.client.error).toBeInstanceOf(HandshakeTimeoutError);
    const close = pair.clientLog.closed;
    expect(close?.error).toBe(pair.client.error);
    expect(pair.clientLog.types()).toEqual(['close']);
    expect(pair.now()).toBe(60_000);
    expect(pair.client.nextTimeout()).toBeUndefined();
  });

  it('configured: initial 250 ms, doubling, capped at maxMs, deadline handshakeTimeoutMs', async () => {
    const pair = new SimPair({
      record: true,
      bToA: { loss: 1 },
      client: { retransmit: { initialMs: 250, maxMs: 2000 }, handshakeTimeoutMs: 10_000 },
    });
    await pair.handshake();
    const sent = times(pair.sent, 'AtoB');
    expect(sent).toEqual([0, 250, 750, 1750, 3750, 5750, 7750, 9750]);
    const gaps = sent.slice(1).map((t, i) => t - (sent[i] ?? 0));
    expect(gaps).toEqual([250, 500, 1000, 2000, 2000, 2000, 2000]);
    expect(pair.client.error).toBeInstanceOf(HandshakeTimeoutError);
    expect(pair.now()).toBe(10_000);
  });

  it("the server's timer: flight 4 resent on its own schedule until the server's deadline ends it", async () => {
    // The client vanishes after its ClientHello with the cookie (A→B #1).
    const pair = new SimPair({
      record: true,
      script: (dir, index) => (dir === 'AtoB' && index >= 2 ? 'drop' : 'deliver'),
      client: { handshakeTimeoutMs: 3_600_000 },
      server: { retransmit: { initialMs: 500, maxMs: 1500 }, handshakeTimeoutMs: 5_000 },
    });
    pair.client.connect(0);
    await pair.runUntil(() => pair.serverConn?.state === 'closed', 20_000);
    // Accepted at 30, flight 4 at 30, then +500, +1000, +1500 (capped), +1500; deadline 30 + 5000.
    expect(times(pair.sent, 'BtoA', isFlight4)).toEqual([30, 530, 1530, 3030, 4530]);
    expect(pair.serverConn?.error).toBeInstanceOf(HandshakeTimeoutError);
    expect(pair.serverLog.closed?.error).toBeInstanceOf(HandshakeTimeoutError);
    expect(pair.now()).toBe(5030);
    // Nothing is sent when the deadline passes (the peer is presumably gone).
    expect(times(pair.sent, 'BtoA').filter((t) => t >= 5030)).toEqual([]);
  });

  it('a new flight starts again from the initial value', async () => {
    // Flight 1 backs off (HelloVerifyRequest lost twice); flight 3 then starts at 1 s again.
    const pair = await handshake({ script: combine(dropFirst('BtoA', isHvr, 2), dropFirst('BtoA', isFlight4, 1)) });
    expectEstablished(pair);
    const hellos = times(pair.sent, 'AtoB', isHello);
    expect(hellos).toEqual([0, 1000, 3000, 3020, 4020]);
  });

  it('the deadline counts from connect(), on the server from the accepted ClientHello', async () => {
    const pair = new SimPair({ startAt: 5_000, record: true, aToB: { loss: 1 }, client: { handshakeTimeoutMs: 4_000 } });
    await pair.handshake();
    expect(pair.client.error).toBeInstanceOf(HandshakeTimeoutError);
    expect(pair.now()).toBe(9_000);
    expect(times(pair.sent, 'AtoB')).toEqual([5000, 6000, 8000]);
  });
});
