/**
 * Asynchronous PSK lookups (a key in a database, an identity from a secure element): the
 * handshake pauses until the Promise settles, on either side, whether it settles after a few
 * microtasks or after seconds of (virtual) time, on a clean or a lossy network. A rejected
 * lookup ends the handshake with internal_error, and the peer is told.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '@dtls-kit/test-kit';
import { AlertDescription } from '../../src/alert.js';
import { DtlsError, HandshakeTimeoutError } from '../../src/errors.js';
import type { PskClientCredentials, PskServerCredentials } from '../../src/key-exchange/psk-credentials.js';
import { SimPair, VirtualDelays, summarize, type PairOptions, type SentDatagram } from './sim-harness.js';
import { PSK_IDENTITY, PSK_KEY } from '../support/psk.js';
import { hasChangeCipherSpec } from '../support/wire.js';

const REPORT = process.env.SIM_REPORT === '1';

/** A value after `hops` microtask turns. */
async function afterMicrotasks<T>(hops: number, value: () => T): Promise<T> {
  for (let i = 0; i < hops; i++) await Promise.resolve();
  return value();
}

function microtaskClient(hops: number): PskClientCredentials {
  return { type: 'psk', resolve: () => afterMicrotasks(hops, () => ({ identity: PSK_IDENTITY, key: PSK_KEY })) };
}

function microtaskServer(hops: number, hint?: Uint8Array): PskServerCredentials {
  return { type: 'psk', identityHint: hint, lookup: () => afterMicrotasks(hops, () => PSK_KEY) };
}

function delayedClient(delays: VirtualDelays, ms: () => number): PskClientCredentials {
  return { type: 'psk', resolve: () => delays.after(ms(), () => ({ identity: PSK_IDENTITY, key: PSK_KEY })) };
}

function delayedServer(delays: VirtualDelays, ms: () => number): PskServerCredentials {
  return { type: 'psk', identityHint: undefined, lookup: () => delays.after(ms(), () => PSK_KEY) };
}

/** A pair whose client and server lookups are answered by `delays` (on the pair's clock). */
function delayedPair(options: PairOptions & { clientMs: () => number; serverMs: () => number }): { pair: SimPair; delays: VirtualDelays } {
  const clock = new VirtualClock(0);
  const delays = new VirtualDelays(clock);
  const pair = new SimPair({
    ...options,
    clock,
    client: { ...options.client, psk: delayedClient(delays, options.clientMs) },
    server: { ...options.server, psk: delayedServer(delays, options.serverMs) },
    wrapClient: (e) => delays.wrap(e),
    wrapServer: (e) => delays.wrap(e),
  });
  return { pair, delays };
}

const during = (sent: readonly SentDatagram[], dir: 'AtoB' | 'BtoA', from: number, to: number): number[] =>
  sent.filter((s) => s.dir === dir && s.time > from && s.time < to).map((s) => s.time);

describe('asynchronous PSK lookups', () => {
  it.each([1, 3, 10])('settling after %i microtask(s) on both sides, every suite family', async (hops) => {
    for (const suite of ['TLS_PSK_WITH_AES_128_CCM_8', 'TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256']) {
      const pair = new SimPair({ suite, client: { psk: microtaskClient(hops) }, server: { psk: microtaskServer(hops, new TextEncoder().encode('hint')) } });
      await pair.handshake();
      expect(pair.client.error).toBeUndefined();
      expect(pair.serverConn?.error).toBeUndefined();
      expect(pair.established).toBe(true);
      expect(pair.now()).toBe(60); // no virtual time lost waiting
      await pair.exchange('a', 'b');
      expect(pair.serverLog.data).toEqual(['a']);
      expect(pair.clientLog.data).toEqual(['b']);
    }
  });

  it('settling after seconds of virtual time: the waiting side sends nothing meanwhile', async () => {
    const { pair, delays } = delayedPair({ record: true, clientMs: () => 2_000, serverMs: () => 3_000 });
    await pair.handshake();
    expect(pair.client.error).toBeUndefined();
    expect(pair.serverConn?.error).toBeUndefined();
    expect(pair.established).toBe(true);
    expect(delays.count).toBe(0);
    // Client: flight 4 at 40, its PSK at 2040, flight 5 then. Server: flight 5 at 2050, its
    // key at 5050, flight 6 then; the client is done at 5060.
    const flight5 = pair.sent.filter((s) => s.dir === 'AtoB' && hasChangeCipherSpec(s.datagram)).map((s) => s.time);
    expect(flight5[0]).toBe(2040);
    const flight6 = pair.sent.filter((s) => s.dir === 'BtoA' && hasChangeCipherSpec(s.datagram)).map((s) => s.time);
    expect(flight6).toEqual([5050]);
    expect(pair.clientLog.completedAt).toBe(5060);
    // Having received the whole flight it answers, a side that waits for its lookup is preparing
    // its next flight (RFC 6347 4.2.4 PREPARING): it does not retransmit its previous one.
    expect(during(pair.sent, 'AtoB', 40, 2040)).toEqual([]);
    expect(during(pair.sent, 'BtoA', 2050, 5050)).toEqual([]);
    // (The other side, which has heard nothing, retransmits on its timer as usual: the server
    // flight 4 at 1030, the client flight 5 at 2040 + 1000 and + 2000.)
    expect(during(pair.sent, 'BtoA', 40, 2040)).toEqual([1030]);
    expect(during(pair.sent, 'AtoB', 2050, 5050)).toEqual([3040, 5040]);
  });

  it('a lookup slower than the handshake deadline ends it with HandshakeTimeoutError', async () => {
    const { pair } = delayedPair({ clientMs: () => 0, serverMs: () => 120_000, server: { handshakeTimeoutMs: 10_000 }, client: { handshakeTimeoutMs: 3_600_000 } });
    pair.client.connect(0);
    await pair.runUntil(() => pair.serverConn?.state === 'closed', 60_000);
    expect(pair.serverConn?.error).toBeInstanceOf(HandshakeTimeoutError);
    expect(pair.now()).toBe(30 + 10_000);
    // The late answer changes nothing.
    await pair.runUntil(() => false, 200_000);
    expect(pair.serverConn?.state).toBe('closed');
    expect(pair.serverConn?.error).toBeInstanceOf(HandshakeTimeoutError);
  });

  it('under 25% loss, duplication and reordering, with random delays, every seed completes', async () => {
    const times: number[] = [];
    const failures: string[] = [];
    for (let seed = 1; seed <= 200; seed++) {
      // Delays from 0 to 2.5 s, drawn per lookup from the seed (deterministic).
      let x = seed * 2654435761;
      const draw = (): number => {
        x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
        return x % 2_500;
      };
      const { pair } = delayedPair({
        seed,
        mtu: 200,
        suite: seed % 2 === 0 ? 'TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256' : 'TLS_PSK_WITH_AES_256_GCM_SHA384',
        link: { loss: 0.25, duplicate: 0.1, reorder: 0.25, reorderDelay: 80 },
        clientMs: draw,
        serverMs: draw,
        client: { handshakeTimeoutMs: 3_600_000 },
        server: { handshakeTimeoutMs: 3_600_000 },
      });
      const r = await pair.handshake(3_700_000);
      if (!pair.established) failures.push(`seed ${seed}: ${r.reason} ${pair.client.error?.message ?? ''} ${pair.serverConn?.error?.message ?? ''}`);
      else times.push(r.time);
    }
    expect(failures).toEqual([]);
    if (REPORT) console.log(`async lookups under loss: completion ms ${JSON.stringify(summarize(times))}`);
  });

  it('microtask lookups under 25% loss, every seed completes', async () => {
    const failures: string[] = [];
    for (let seed = 1; seed <= 200; seed++) {
      const pair = new SimPair({
        seed,
        mtu: 200,
        suite: 'TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256',
        link: { loss: 0.25, duplicate: 0.1, reorder: 0.25, reorderDelay: 80 },
        client: { psk: microtaskClient(2), handshakeTimeoutMs: 3_600_000 },
        server: { psk: microtaskServer(4), handshakeTimeoutMs: 3_600_000 },
      });
      const r = await pair.handshake(3_700_000);
      if (!pair.established) failures.push(`seed ${seed}: ${r.reason}`);
    }
    expect(failures).toEqual([]);
  });
});

describe('a rejected lookup', () => {
  /** Runs until both ends closed (the alert has to travel), then checks who failed and why. */
  async function expectInternalError(pair: SimPair, side: 'client' | 'server', message: RegExp): Promise<void> {
    await pair.runUntil(() => pair.client.state === 'closed' && pair.serverConn?.state === 'closed', 5_000);
    const [local, peer] = side === 'client' ? [pair.client, pair.serverConn] : [pair.serverConn, pair.client];
    expect(local?.state).toBe('closed');
    expect(local?.error).toBeInstanceOf(DtlsError);
    expect(local?.error?.alert).toBe(AlertDescription.internal_error);
    expect(local?.error?.fromPeer).toBe(false);
    expect(local?.error?.message).toMatch(message);
    // The peer was told with a fatal internal_error alert.
    expect(peer?.state).toBe('closed');
    expect(peer?.error?.alert).toBe(AlertDescription.internal_error);
    expect(peer?.error?.fromPeer).toBe(true);
  }

  it('server side, after a virtual delay: internal_error, and the client hears it', async () => {
    const clock = new VirtualClock(0);
    const delays = new VirtualDelays(clock);
    const pair = new SimPair({
      clock,
      server: {
        psk: {
          type: 'psk',
          identityHint: undefined,
          lookup: () =>
            delays.after(700, () => {
              throw new Error('database unavailable');
            }),
        },
      },
      wrapServer: (e) => delays.wrap(e),
    });
    await pair.handshake();
    await expectInternalError(pair, 'server', /PSK lookup failed: database unavailable/);
    expect(pair.serverLog.closed?.error).toBe(pair.serverConn?.error);
    // Flight 5 reached the server at 50; the lookup failed at 750; the alert arrived at 760.
    expect(pair.now()).toBe(760);
  });

  it('server side, after a few microtasks (a rejection that is not an Error)', async () => {
    const pair = new SimPair({
      server: { psk: { type: 'psk', identityHint: undefined, lookup: () => afterMicrotasks(3, () => Promise.reject('nope')).then((v) => v) } },
    });
    await pair.handshake();
    await expectInternalError(pair, 'server', /PSK lookup failed: nope/);
  });

  it('client side: internal_error, and the server hears it', async () => {
    const pair = new SimPair({
      client: {
        psk: {
          type: 'psk',
          resolve: () =>
            afterMicrotasks(2, () => {
              throw new TypeError('secure element locked');
            }),
        },
      },
    });
    await pair.handshake();
    await expectInternalError(pair, 'client', /PSK resolve failed: secure element locked/);
    expect(pair.clientLog.types()).toEqual(['close']);
  });

  it('a lookup that throws synchronously ends the same way', async () => {
    const pair = new SimPair({
      server: {
        psk: {
          type: 'psk',
          identityHint: undefined,
          lookup: () => {
            throw new Error('boom');
          },
        },
      },
    });
    await pair.handshake();
    await expectInternalError(pair, 'server', /boom/);
  });
});
