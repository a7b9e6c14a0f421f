/**
 * createBlockingServer's `handshakes: 'main'`: DTLS 1.2 handshakes run on the main thread and only
 * the established connection (core's EstablishedSnapshot) goes to a worker, whose handler sees it
 * as before; DTLS 1.3 ones still handshake in their worker. The default, 'auto', is 'main' for
 * inline psk keys and 'worker' for a credentials module.
 */
import { createSocket, type Socket } from 'node:dgram';
import { BroadcastChannel } from 'node:worker_threads';
import { DtlsConnection } from '@dtls-kit/core';
import { createCA, createCertificate } from '@dtls-kit/x509';
import { runOpensslClient, startFaultRelay, type FaultRelay } from '@dtls-kit/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { createBlockingServer, runBlockingClient, type BlockingServer, type ConnectionErrorStage, type EvictionReason, type Remote } from '../src/index.js';
import { IDENTITY, KEY, clientCredentials, fixture, serverCredentials, sleep, until, type RoundTripResult } from './helpers.js';

const threadPsk = fixture('thread-psk-credentials.mjs');
const threadPskCredentials = { module: threadPsk, args: { key: KEY } };

/** The lookups the credentials module made on this (the server's main) thread so far. */
async function mainLookups(): Promise<number[]> {
  const mod: { lookups: number[] } = await import(threadPsk.href);
  return mod.lookups;
}

let server: BlockingServer | undefined;
let relay: FaultRelay | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  await server?.close();
  await relay?.close();
  for (const s of sockets.splice(0)) s.close();
  server = undefined;
  relay = undefined;
});

interface WhoAmI {
  threadId: number;
  identity: string;
  cipher: string;
}

const whoami = (r: RoundTripResult): WhoAmI => JSON.parse(r.replies.at(-1) ?? '{}');

describe("handshakes: 'main'", () => {
  it("'auto' (the default): inline psk keys handshake on the main thread (a client is established while the only worker is busy), a credentials module in the worker (it is not)", async () => {
    const cases = [
      { handshakes: undefined, credentials: serverCredentials, expected: 'main' },
      { handshakes: 'auto', credentials: threadPskCredentials, expected: 'worker' },
      { handshakes: 'worker', credentials: serverCredentials, expected: 'worker' },
    ] as const;
    for (const c of cases) {
      server = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: c.credentials, maxThreads: 1, ...(c.handshakes === undefined ? {} : { handshakes: c.handshakes }) });
      expect(server.handshakes, `${c.handshakes ?? 'default'}`).toBe(c.expected);
      const { port } = await server.listen(0, '127.0.0.1');
      const gate = new SharedArrayBuffer(4);
      const client = (name: string, extra: Record<string, unknown> = {}): Promise<RoundTripResult> =>
        runBlockingClient<RoundTripResult>({ handler: fixture('client-roundtrip.mjs'), port, credentials: clientCredentials, maxVersion: 'DTLSv1.2', handshakeTimeoutMs: 20_000, args: { messages: [name], recvTimeoutMs: 15_000, ...extra } });
      const connected: number[] = [];
      server.on('connection', (r) => connected.push(r.port));
      const holder = client('holder', { gate });
      await until(() => server!.stats.active === 1 && connected.length === 1, 5000, 'the first connection to be established and to hold the only worker');
      const second = client('second');
      if (c.expected === 'main') await until(() => connected.length === 2, 5000, 'the second handshake to finish on the main thread');
      else {
        await until(() => server!.stats.accepted === 2, 5000, 'the second ClientHello to be queued');
        await sleep(500);
        expect(connected, 'no handshake while the only worker is busy').toHaveLength(1);
      }
      Atomics.store(new Int32Array(gate), 0, 1);
      Atomics.notify(new Int32Array(gate), 0);
      expect((await holder).replies).toEqual(['holder']);
      expect((await second).replies).toEqual(['second']);
      await server.close();
      server = undefined;
    }
  });

  it('a DTLS 1.2 PSK handshake runs on the main thread, the handler in a worker; with a credentials module the default runs it in the worker', async () => {
    for (const handshakes of ['main', 'worker'] as const) {
      server = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: threadPskCredentials, maxThreads: 1, ...(handshakes === 'main' ? { handshakes } : {}) });
      const connections: Remote[] = [];
      server.on('connection', (remote) => connections.push(remote));
      const { port } = await server.listen(0, '127.0.0.1');
      const before = (await mainLookups()).length;
      const r = await runBlockingClient<RoundTripResult>({ handler: fixture('client-roundtrip.mjs'), port, credentials: clientCredentials, maxVersion: 'DTLSv1.2', args: { messages: ['hello', 'whoami'] } });
      expect(r.replies[0]).toBe('hello');
      const who = whoami(r);
      expect(who.threadId).not.toBe(0);
      expect(who.identity).toBe(IDENTITY);
      expect(who.cipher).toBe(r.cipher);
      // The key was looked up here (threadId 0) with 'main' only.
      expect((await mainLookups()).slice(before)).toEqual(handshakes === 'main' ? [0] : []);
      await until(() => server!.stats.completed === 1, 5000, 'the connection to end');
      expect(connections).toHaveLength(1);
      expect(server.stats).toMatchObject({ established: 1, handshakeFailures: 0, handlerErrors: 0, connections: 0, handshakes: 0 });
      await server.close();
      server = undefined;
    }
  });

  it('a DTLS 1.3 client is still served: its handshake runs in the worker', async () => {
    server = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: threadPskCredentials, maxThreads: 1, handshakes: 'main' });
    const { port } = await server.listen(0, '127.0.0.1');
    const before = (await mainLookups()).length;
    const r = await runBlockingClient<RoundTripResult>({ handler: fixture('client-roundtrip.mjs'), port, credentials: clientCredentials, maxVersion: 'DTLSv1.3', args: { messages: ['whoami'] } });
    expect(whoami(r).cipher).toBe('TLS_AES_128_GCM_SHA256');
    expect((await mainLookups()).slice(before)).toEqual([]);
  });

  it('openssl s_client, PSK', async () => {
    server = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: serverCredentials, maxThreads: 1, handshakes: 'main' });
    const { port } = await server.listen(0, '127.0.0.1');
    const result = await runOpensslClient({ port, cipher: 'PSK-AES128-GCM-SHA256', psk: KEY, identity: IDENTITY, messages: ['hello from openssl', 'second line'] });
    expect(result.echoed, result.stdout + result.stderr).toBe(true);
    expect(result.cipher).toBe('PSK-AES128-GCM-SHA256');
    await until(() => server!.stats.completed === 1, 5000, 'the connection to end');
    expect(server.stats.handlerErrors).toBe(0);
  });

  it('openssl s_client and our client, certificates (ECDHE_ECDSA, DTLS 1.2)', async () => {
    const ca = await createCA({ commonName: 'hand-over CA' });
    const cert = await createCertificate({ ca, commonName: 'localhost', subjectAltNames: ['localhost', '127.0.0.1'], usage: 'server' });
    const credentials = { module: fixture('x509-credentials.mjs'), export: 'server', args: { key: cert.key, cert: cert.cert } };
    server = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials, maxThreads: 1, handshakes: 'main' });
    const { port } = await server.listen(0, '127.0.0.1');
    const result = await runOpensslClient({ port, cipher: 'ECDHE-ECDSA-AES128-GCM-SHA256', messages: ['hello from openssl'] });
    expect(result.echoed, result.stdout + result.stderr).toBe(true);
    const r = await runBlockingClient<RoundTripResult>({
      handler: fixture('client-roundtrip.mjs'),
      port,
      credentials: { module: fixture('x509-credentials.mjs'), export: 'client', args: { ca: ca.cert } },
      maxVersion: 'DTLSv1.2',
      args: { messages: ['signed hello'] },
    });
    expect(r.replies).toEqual(['signed hello']);
    expect(r.cipher).toMatch(/^ECDHE-ECDSA-/);
  });

  it("flight 6 lost: s_client retransmits its flight 5 after the hand-over and the worker answers with the last flight (RFC 6347 4.2.4)", async () => {
    server = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: serverCredentials, maxThreads: 1, handshakes: 'main' });
    const connections: number[] = [];
    server.on('connection', () => connections.push(performance.now()));
    const { port } = await server.listen(0, '127.0.0.1');
    const flight6: number[] = [];
    relay = await startFaultRelay({
      target: port,
      seed: 6,
      // The server's ChangeCipherSpec (content type 20) starts its flight 6: the first one is lost.
      rules: [{ name: 'flight 6', direction: 'toClient', match: { contentType: 20 }, action: { kind: 'drop' } }],
      onDatagram: (direction, records) => {
        if (direction === 'toClient' && records.some((r) => r.contentType === 20)) flight6.push(performance.now());
      },
    });
    const result = await runOpensslClient({ port: relay.port, cipher: 'PSK-AES128-GCM-SHA256', psk: KEY, identity: IDENTITY, messages: ['after a lost flight 6'] });
    expect(result.echoed, result.stdout + result.stderr).toBe(true);
    expect(relay.stats.ruleHits).toEqual([1]);
    // Flight 6 went twice: from the main thread, then, once the connection was handed over (the
    // main thread has no engine for it any more), from its worker.
    expect(flight6).toHaveLength(2);
    expect(connections).toHaveLength(1);
    expect(flight6[1]).toBeGreaterThan(connections[0] ?? Infinity);
    await until(() => server!.stats.completed === 1, 5000, 'the connection to end');
    expect(server.stats.handshakeFailures).toBe(0);
  });

  it('a full pool refuses under main too; a stalled handshake on the main thread gives its place and is told', async () => {
    server = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: serverCredentials, maxThreads: 1, maxQueue: 0, handshakes: 'main' });
    const refused: string[] = [];
    const evicted: [Remote, EvictionReason, boolean][] = [];
    server.on('refused', (_r, reason) => refused.push(reason));
    server.on('evicted', (r, reason, details) => evicted.push([r, reason, details.hadWorker]));
    const { port } = await server.listen(0, '127.0.0.1');
    // A connection holds the one place (its worker) until the gate opens.
    const gate = new SharedArrayBuffer(4);
    const holder = runBlockingClient<RoundTripResult>({ handler: fixture('client-roundtrip.mjs'), port, credentials: clientCredentials, maxVersion: 'DTLSv1.2', args: { messages: ['hold'], gate } });
    await until(() => server!.stats.active === 1, 5000, 'the first connection to take the worker');
    const refusal = await runBlockingClient({ handler: fixture('client-roundtrip.mjs'), port, credentials: clientCredentials, maxVersion: 'DTLSv1.2' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(String(refusal)).toMatch(/internal_error/);
    expect(refused).toEqual(['full']);
    Atomics.store(new Int32Array(gate), 0, 1);
    Atomics.notify(new Int32Array(gate), 0);
    expect((await holder).replies).toEqual(['hold']);
    await until(() => server!.stats.completed === 1, 5000, 'the first connection to end');

    // A peer that passes the cookie exchange, gets our flight 4 and never answers holds the place
    // on the main thread; after the first retransmission timeout a new client takes it.
    const stalled = await stallHandshake(port, '127.0.0.2');
    await until(() => server!.stats.handshakes === 1, 5000, 'the stalled handshake to be accepted');
    await sleep(1200);
    const r = await runBlockingClient<RoundTripResult>({ handler: fixture('client-roundtrip.mjs'), port, credentials: clientCredentials, maxVersion: 'DTLSv1.2', args: { messages: ['in its place'] } });
    expect(r.replies).toEqual(['in its place']);
    expect(evicted).toEqual([[{ address: '127.0.0.2', port: stalled.port }, 'full', false]]);
    // Its peer got the engine's fatal internal_error alert (80).
    await until(() => stalled.alerts().includes(80), 3000, 'the evicted peer to get its alert');
    expect(server.stats.evicted).toBe(1);
  });

  it('the main thread runs ahead of busy workers by at most maxThreads established connections: the next client waits as a queued ClientHello', async () => {
    server = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: serverCredentials, maxThreads: 1, maxQueue: 2, handshakes: 'main' });
    const connected: string[] = [];
    const refused: string[] = [];
    server.on('refused', (_r, reason) => refused.push(reason));
    const { port } = await server.listen(0, '127.0.0.1');
    const gate = new SharedArrayBuffer(4);
    const client = (name: string, extra: Record<string, unknown> = {}): Promise<RoundTripResult> =>
      runBlockingClient<RoundTripResult>({ handler: fixture('client-roundtrip.mjs'), port, credentials: clientCredentials, maxVersion: 'DTLSv1.2', handshakeTimeoutMs: 20_000, args: { messages: [name], recvTimeoutMs: 15_000, ...extra } });
    const holder = client('holder', { gate });
    await until(() => server!.stats.active === 1, 5000, 'the first connection to take the worker');
    server.on('connection', (r) => connected.push(String(r.port)));
    // The second is established here and waits for the worker: the backlog is full (maxThreads 1).
    const second = client('second');
    await until(() => connected.length === 1, 5000, 'the second handshake to finish on the main thread');
    // The third waits as a ClientHello: its handshake does not start while the backlog is full.
    const third = client('third');
    await until(() => server!.stats.accepted === 3, 5000, 'the third ClientHello to be queued');
    await sleep(300);
    expect(connected).toHaveLength(1);
    expect(server.stats).toMatchObject({ active: 1, queued: 2, handshakes: 1 });
    // Places are maxThreads + maxQueue = 3: a fourth is refused, as with handshakes in the workers.
    const fourth = await client('fourth').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(String(fourth)).toMatch(/internal_error/);
    expect(refused).toEqual(['full']);
    Atomics.store(new Int32Array(gate), 0, 1);
    Atomics.notify(new Int32Array(gate), 0);
    expect((await holder).replies).toEqual(['holder']);
    expect((await second).replies).toEqual(['second']);
    expect((await third).replies).toEqual(['third']);
    expect(connected).toHaveLength(2);
  });

  it('a connection whose peer sent data and close_notify while it waited for a worker: the handler still finds it established (exportKeyingMaterial), then reads the data', async () => {
    const channel = `handshakes-main-${process.pid}-${Date.now()}`;
    const reports: unknown[] = [];
    const listen = new BroadcastChannel(channel);
    listen.onmessage = (event): void => {
      const data: unknown = event.data;
      reports.push(data);
    };
    try {
      server = createBlockingServer({ handler: fixture('export-first-handler.mjs'), credentials: serverCredentials, maxThreads: 1, args: { channel } });
      expect(server.handshakes).toBe('main');
      const { port } = await server.listen(0, '127.0.0.1');
      const gate = new SharedArrayBuffer(4);
      const holder = runBlockingClient<RoundTripResult>({ handler: fixture('client-roundtrip.mjs'), port, credentials: clientCredentials, maxVersion: 'DTLSv1.2', args: { messages: [], gate } });
      await until(() => server!.stats.active === 1 && server!.stats.established === 1, 5000, 'the first connection to hold the only worker');
      // Handshook on the main thread; its client sends two messages and close_notify, and is gone
      // before a worker takes its connection up.
      const early = await runBlockingClient<{ keyingMaterial: string }>({ handler: fixture('send-and-close-client.mjs'), port, credentials: clientCredentials, maxVersion: 'DTLSv1.2', args: { messages: ['one', 'two'] } });
      // 9 datagrams: each client's two ClientHellos and flight 5, then this one's two messages and close_notify.
      await until(() => server!.stats.datagrams >= 9, 5000, 'its data and close_notify to reach the server');
      Atomics.store(new Int32Array(gate), 0, 1);
      Atomics.notify(new Int32Array(gate), 0);
      await holder;
      await until(() => reports.length === 2, 5000, 'both handlers to report');
      const report = reports.find((r) => typeof r === 'object' && r !== null && 'messages' in r && Array.isArray(r.messages) && r.messages.length > 0);
      expect(report).toEqual({ keyingMaterial: early.keyingMaterial, messages: ['one', 'two'] });
      expect(server.stats).toMatchObject({ handlerErrors: 0, handshakeFailures: 0 });
    } finally {
      listen.close();
    }
  });

  it('the handshake deadline (handshakeTimeoutMs) holds on the main thread', async () => {
    server = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: serverCredentials, handshakeTimeoutMs: 600, handshakes: 'main' });
    const errors: [Error, ConnectionErrorStage][] = [];
    server.on('connectionError', (error, stage) => errors.push([error, stage]));
    const { port } = await server.listen(0, '127.0.0.1');
    await stallHandshake(port, '127.0.0.1');
    await until(() => errors.length === 1, 5000, 'the handshake to time out');
    expect(errors[0]?.[0].name).toBe('HandshakeTimeoutError');
    expect(errors[0]?.[1]).toBe('handshake');
    await until(() => server!.stats.completed === 1, 2000, 'the connection to end');
    expect(server.stats).toMatchObject({ handshakes: 0, connections: 0, handshakeFailures: 1, handshakesFailed: { timedOut: 1 } });
  });

  it('a value other than auto, worker or main is a TypeError; credentials that cannot be built reject listen()', async () => {
    // @ts-expect-error: not one of the values
    expect(() => createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: serverCredentials, handshakes: 'both' })).toThrow(TypeError);
    server = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: { module: fixture('broken-credentials.mjs'), export: 'unavailable' }, handshakes: 'main' });
    await expect(server.listen(0, '127.0.0.1')).rejects.toThrow(/^listen: key store unavailable/);
  });
});

/**
 * A DTLS 1.2 PSK client from `address` that answers the HelloVerifyRequest and then nothing: its
 * handshake waits on it. `alerts()`: the fatal alerts the server sent it.
 */
async function stallHandshake(port: number, address: string): Promise<{ port: number; alerts: () => number[] }> {
  const udp = createSocket('udp4');
  udp.on('error', () => {});
  sockets.push(udp);
  await new Promise<void>((resolve) => udp.bind(0, address, resolve));
  const conn = DtlsConnection.client({ psk: { type: 'psk', resolve: () => ({ identity: new TextEncoder().encode(IDENTITY), key: Uint8Array.from(Buffer.from(KEY, 'hex')) }) }, maxVersion: 'DTLSv1.2' });
  conn.connect(performance.now());
  const alerts: number[] = [];
  let answered = false;
  udp.on('message', (msg) => {
    const told = conn.error !== undefined;
    conn.receive(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), performance.now());
    const out = conn.datagramsToSend();
    const error = conn.error;
    if (!told && error?.fromPeer === true) alerts.push(error.alert);
    if (answered) return;
    answered = true;
    for (const d of out) udp.send(d, port, '127.0.0.1');
  });
  for (const d of conn.datagramsToSend()) udp.send(d, port, '127.0.0.1');
  return { port: udp.address().port, alerts: () => alerts };
}
