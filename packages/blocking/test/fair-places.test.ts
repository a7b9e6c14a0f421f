/**
 * Issue 12, point 4, for the blocking server: "handshake slots are fair". A cookie proves an
 * address, not a peer: ports of one host that pass the cookie exchange (a real HelloVerifyRequest
 * round trip) and then never answer used to hold every worker and queue place (maxThreads +
 * maxQueue = 20 by default) until the engine's handshake timeout, and every new client was refused
 * with internal_error meanwhile. Now one address holds at most half the places with handshakes
 * (maxHandshakesPerAddress), a stalled handshake gives its place to a new client or its worker to
 * a queued one, and honest clients, slow ones and established connections included, keep theirs.
 */
import { createSocket, type Socket } from 'node:dgram';
import { DtlsConnection, fromHex } from '@dtls-kit/core';
import { utf8 } from '@dtls-kit/core/internal';
import { startFaultRelay, type FaultRelay } from '@dtls-kit/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { createBlockingServer, runBlockingClient, type BlockingServer, type EvictionDetails, type EvictionReason, type RefusalReason, type Remote } from '../src/index.js';
import { clientCredentials, fixture, IDENTITY, KEY, serverCredentials, sleep, until, type RoundTripResult } from './helpers.js';

let server: BlockingServer | undefined;
let relay: FaultRelay | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  await server?.close();
  server = undefined;
  await relay?.close();
  relay = undefined;
});

const pair = { identity: utf8(IDENTITY), key: fromHex(KEY) };

interface Flood {
  /** Ports whose HelloVerifyRequest came back and that sent their ClientHello with the cookie. */
  passed(): number;
  /** Resolves once every port sent its first ClientHello. */
  done: Promise<void>;
  /** The fatal alert (description) a port was told, by its port number, as its engine read it. */
  fatalAlerts(port: number): number[];
}

/**
 * `count` ports of `address`, one every `intervalMs`: each sends a ClientHello, answers the
 * HelloVerifyRequest (DTLS 1.2) or HelloRetryRequest (DTLS 1.3, the default) with the ClientHello
 * carrying the cookie, and then never sends anything again. What the server sends later goes into
 * the port's engine, which reads the server's alert: in epoch 0 when no flight of the server's
 * went out yet, else under the handshake keys in DTLS 1.3 (RFC 8446 5, RFC 9147 4).
 */
function flood(port: number, address: string, count: number, intervalMs: number, maxVersion?: 'DTLSv1.2'): Flood {
  let passed = 0;
  const alerts = new Map<number, number[]>();
  const done = (async () => {
    for (let i = 0; i < count; i++) {
      const udp = createSocket('udp4');
      udp.on('error', () => {});
      sockets.push(udp);
      await new Promise<void>((resolve) => udp.bind(0, address, resolve));
      const conn = DtlsConnection.client({ psk: { type: 'psk', resolve: () => pair }, maxVersion });
      conn.connect(performance.now());
      let answered = false;
      const local = udp.address().port;
      udp.on('message', (msg) => {
        if (answered) {
          // The server's flight is never answered (what the engine would send stays unsent); an alert is noted.
          const told = conn.error !== undefined;
          conn.receive(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), performance.now());
          conn.datagramsToSend();
          const error = conn.error;
          if (!told && error?.fromPeer === true) alerts.set(local, [error.alert]);
          return;
        }
        answered = true;
        conn.receive(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), performance.now());
        const withCookie = conn.datagramsToSend();
        if (withCookie.length > 0) passed++;
        for (const d of withCookie) udp.send(d, port, '127.0.0.1');
      });
      for (const d of conn.datagramsToSend()) udp.send(d, port, '127.0.0.1');
      await sleep(intervalMs);
    }
  })();
  return { passed: () => passed, done, fatalAlerts: (p) => alerts.get(p) ?? [] };
}

interface Seen {
  evicted: [Remote, EvictionReason, EvictionDetails][];
  refused: [Remote, RefusalReason][];
}

function watch(s: BlockingServer): Seen {
  const seen: Seen = { evicted: [], refused: [] };
  s.on('evicted', (remote, reason, details) => void seen.evicted.push([remote, reason, details]));
  s.on('refused', (remote, reason) => void seen.refused.push([remote, reason]));
  return seen;
}

function tally(seen: Seen): string {
  const count = (xs: readonly string[]): string =>
    Object.entries(xs.reduce<Record<string, number>>((m, x) => ({ ...m, [x]: (m[x] ?? 0) + 1 }), {}))
      .map(([k, n]) => `${k} ${n}`)
      .join(', ') || 'none';
  return `evicted: ${count(seen.evicted.map(([, r]) => r))}; refused: ${count(seen.refused.map(([, r]) => r))}`;
}

const echoClient = (port: number, args: Record<string, unknown> = {}): Promise<RoundTripResult> =>
  runBlockingClient<RoundTripResult>({ handler: fixture('client-roundtrip.mjs'), port, credentials: clientCredentials, args: { messages: ['ping'], ...args } });

describe('fair places', () => {
  it('default pool (4 workers, 16 queued): 200 stalling ports of 127.0.0.2 do not lock out a blocking client from 127.0.0.1', async () => {
    server = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: serverCredentials });
    const seen = watch(server);
    const { port } = await server.listen(0, '127.0.0.1');
    // 200 ports in about 2.2 s: the 20 places were full of them within 0.2 s before the fix.
    const attack = flood(port, '127.0.0.2', 200, 10);
    await sleep(1200);
    const t0 = performance.now();
    const result = await echoClient(port);
    const ms = performance.now() - t0;
    await attack.done;
    console.log(`blocking server, 200 stalling ports of 127.0.0.2: the client from 127.0.0.1 got its echo in ${ms.toFixed(0)} ms (${tally(seen)})`);
    expect(result.replies).toEqual(['ping']);
    expect(ms).toBeLessThan(8000);
    await until(() => attack.passed() === 200, 5000, 'every attacking port to pass the cookie exchange');
    expect(seen.evicted.length).toBeGreaterThan(0);
    expect(seen.evicted.every(([r]) => r.address === '127.0.0.2')).toBe(true);
    expect(seen.refused.every(([r]) => r.address === '127.0.0.2')).toBe(true);
    expect(server.stats.evicted).toBe(seen.evicted.length);
    // Each evicted peer was told: a fatal internal_error alert (80).
    const told = (): boolean => seen.evicted.every(([r]) => attack.fatalAlerts(r.port).includes(80));
    await until(told, 3000, 'every evicted peer to get its alert');
  }, 30_000);

  it.each([
    ['DTLS 1.3', undefined],
    ['DTLS 1.2', 'DTLSv1.2'],
  ] as const)('every worker held by a stalled handshake (maxQueue 0): a new client takes the worker of the one stalled longest (stalled in %s)', async (_name, stalledVersion) => {
    // No queue, so no queued connection claims the workers meanwhile: the newcomer's ClientHello does.
    // handshakes: 'worker', so that DTLS 1.2 handshakes hold workers too (inline keys default to
    // 'main', where they hold none: handshakes-main.test.ts has that case).
    server = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: serverCredentials, maxQueue: 0, handshakes: 'worker' });
    const seen = watch(server);
    const { port } = await server.listen(0, '127.0.0.1');
    const a = flood(port, '127.0.0.2', 3, 5, stalledVersion);
    const b = flood(port, '127.0.0.3', 3, 5, stalledVersion);
    await Promise.all([a.done, b.done]);
    // Two per address (half the places) fill the 4 workers; the other two are refused: the pool is full.
    await until(() => server!.stats.active === 4 && server!.stats.refused === 2, 5000, 'the 4 workers to fill, two refusals');
    // A handshake counts as stalled once its worker waited on a silent peer for the first
    // retransmission timeout (1 s): a fresh one is not pushed out.
    await sleep(1200);
    const t0 = performance.now();
    const result = await echoClient(port);
    const ms = performance.now() - t0;
    console.log(`blocking server, 4 workers held by stalled handshakes from 2 addresses, no queue: a new client got its echo in ${ms.toFixed(0)} ms (${tally(seen)})`);
    expect(result.replies).toEqual(['ping']);
    expect(ms).toBeLessThan(5000);
    expect(seen.refused.map(([, reason]) => reason)).toEqual(['full', 'full']);
    expect(seen.evicted.length).toBe(1);
    const [[victim, reason, details]] = seen.evicted as [[Remote, EvictionReason, EvictionDetails]];
    expect(victim.address).not.toBe('127.0.0.1');
    expect(reason).toBe('full');
    expect(details.hadWorker).toBe(true);
    expect(details.by?.address).toBe('127.0.0.1');
    expect(details.stalledMs).toBeGreaterThanOrEqual(1000);
    expect(server.stats.evicted).toBe(1);
    // It was told: a fatal internal_error alert (80).
    await until(() => [...a.fatalAlerts(victim.port), ...b.fatalAlerts(victim.port)].includes(80), 3000, 'the evicted peer to get its alert');
  }, 30_000);

  it('under a flood, a client 300 ms away each way gets in and finishes while stalled handshakes are evicted around it', async () => {
    server = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: serverCredentials });
    const seen = watch(server);
    const { port } = await server.listen(0, '127.0.0.1');
    // Two established connections that then stay silent, holding two workers, until the gate opens.
    const gate = new SharedArrayBuffer(4);
    const held = [echoClient(port, { gate }), echoClient(port, { gate })];
    await until(() => server!.stats.active === 2 && server!.stats.handshakes === 0, 10_000, 'two established connections');
    relay = await startFaultRelay({
      target: port,
      seed: 12,
      rules: [{ name: 'slow network', match: {}, action: { kind: 'delay', ms: 300 }, times: Infinity }],
    });
    // 300 stalling ports over about 3.3 s, while the slow client handshakes and echoes.
    const attack = flood(port, '127.0.0.2', 300, 10);
    await sleep(500);
    const t0 = performance.now();
    const slow = await runBlockingClient<RoundTripResult>({
      handler: fixture('client-roundtrip.mjs'),
      port: relay.port,
      credentials: clientCredentials,
      args: { messages: ['ping'] },
    });
    const ms = performance.now() - t0;
    await attack.done;
    console.log(`blocking server, 300 stalling ports: a client 300 ms away each way got its echo in ${ms.toFixed(0)} ms (${tally(seen)})`);
    expect(slow.replies).toEqual(['ping']);
    // Stalled handshakes lost their workers around it (to queued connections and to newcomers).
    expect(seen.evicted.some(([, reason]) => reason === 'maxThreads')).toBe(true);
    // Neither the slow client (via the relay, from 127.0.0.1) nor the established ones were touched.
    expect(seen.evicted.every(([r]) => r.address === '127.0.0.2')).toBe(true);
    expect(server.stats.active).toBeGreaterThanOrEqual(2);
    const gateWord = new Int32Array(gate);
    Atomics.store(gateWord, 0, 1);
    Atomics.notify(gateWord, 0);
    for (const r of await Promise.all(held)) expect(r.replies).toEqual(['ping']);
  }, 40_000);

  it('a full pool: newcomers never push out a slow client queued for a worker, nor the established connection holding it', async () => {
    server = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: serverCredentials, maxThreads: 1, maxQueue: 1 });
    const seen = watch(server);
    const { port } = await server.listen(0, '127.0.0.1');
    // The only worker: an established connection that then stays silent until the gate opens.
    const gate = new SharedArrayBuffer(4);
    const held = echoClient(port, { gate });
    await until(() => server!.stats.active === 1 && server!.stats.handshakes === 0, 10_000, 'an established connection');
    // The only queue place: a client 300 ms away each way. It waits for the worker, retransmitting
    // its ClientHello 1 s, 2 s, 4 s later (plus 300 ms each): silent for more than the first
    // retransmission timeout in between, but never past its next retransmission.
    relay = await startFaultRelay({
      target: port,
      seed: 13,
      rules: [{ name: 'slow network', match: {}, action: { kind: 'delay', ms: 300 }, times: Infinity }],
    });
    const slow = runBlockingClient<RoundTripResult>({ handler: fixture('client-roundtrip.mjs'), port: relay.port, credentials: clientCredentials, args: { messages: ['ping'] } });
    await until(() => server!.stats.queued === 1, 5000, 'the slow client to be queued');
    // Meanwhile new clients keep coming (each passes the cookie exchange, then stays silent).
    const attack = flood(port, '127.0.0.2', 80, 50);
    await attack.done;
    expect(attack.passed()).toBeGreaterThan(70);
    const gateWord = new Int32Array(gate);
    Atomics.store(gateWord, 0, 1);
    Atomics.notify(gateWord, 0);
    const t0 = performance.now();
    const [first, second] = await Promise.all([held, slow]);
    console.log(`blocking server, 1 worker + 1 queue place: the queued slow client got its echo ${(performance.now() - t0).toFixed(0)} ms after the worker freed (${tally(seen)})`);
    expect(first.replies).toEqual(['ping']);
    expect(second.replies).toEqual(['ping']);
    expect(seen.evicted).toEqual([]);
    expect(seen.refused.length).toBeGreaterThan(70);
    expect(seen.refused.every(([r, reason]) => r.address === '127.0.0.2' && reason === 'full')).toBe(true);
  }, 40_000);
});
