/**
 * Issue 12, point 4, for the blocking server: a worker is held by a connection from the moment its
 * cookie verifies, so ports of one address that pass the cookie exchange and then stall can hold
 * every worker and fill the queue. `maxConnectionsPerAddress` bounds one address's share; a
 * client from another address is then served at once. Also: the events are typed.
 */
import { createSocket, type Socket } from 'node:dgram';
import { DtlsConnection, fromHex } from '@dtls-kit/core';
import { utf8 } from '@dtls-kit/core/internal';
import { driveOverUdp } from '@dtls-kit/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createBlockingServer,
  type BlockingServer,
  type ConnectionErrorStage,
  type EvictionDetails,
  type EvictionReason,
  type RefusalReason,
  type Remote,
} from '../src/index.js';
import { fixture, IDENTITY, KEY, serverCredentials, sleep, until } from './helpers.js';

const psk = (): { type: 'psk'; resolve: () => { identity: Uint8Array; key: Uint8Array } } => {
  const pair = { identity: utf8(IDENTITY), key: fromHex(KEY) };
  return { type: 'psk', resolve: () => pair };
};

let server: BlockingServer | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  await server?.close();
  server = undefined;
});

async function bound(address: string): Promise<Socket> {
  const udp = createSocket('udp4');
  udp.on('error', () => {});
  sockets.push(udp);
  await new Promise<void>((resolve) => udp.bind(0, address, resolve));
  return udp;
}

/** `ports` sockets of `address` each pass the cookie exchange, then never answer the server's flight. */
async function stall(port: number, address: string, ports: number): Promise<() => number> {
  let passed = 0;
  for (let i = 0; i < ports; i++) {
    const udp = await bound(address);
    const conn = DtlsConnection.client({ psk: psk() });
    conn.connect(performance.now());
    let answered = false;
    udp.on('message', (msg) => {
      if (answered) return; // the HelloVerifyRequest is answered once; nothing after it ever is
      answered = true;
      conn.receive(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), performance.now());
      passed++;
      for (const d of conn.datagramsToSend()) udp.send(d, port, '127.0.0.1');
    });
    for (const d of conn.datagramsToSend()) udp.send(d, port, '127.0.0.1');
    await sleep(5);
  }
  return () => passed;
}

/** A bare engine client from `address`: handshake and one echo. Resolves with the ms it took, or the failure. */
async function echoFrom(port: number, address: string): Promise<{ ms: number; echoed: string } | { error: string }> {
  const udp = await bound(address);
  const conn = DtlsConnection.client({ psk: psk() });
  const t0 = performance.now();
  conn.connect(t0);
  const driver = driveOverUdp(conn, udp, { address: '127.0.0.1', port });
  try {
    const deadline = t0 + 5000;
    while (conn.state !== 'established' && conn.state !== 'closed' && performance.now() < deadline) await sleep(5);
    if (conn.state !== 'established') return { error: conn.error?.message ?? `handshake state ${conn.state}` };
    const ms = performance.now() - t0;
    conn.send(utf8('hello from another address'));
    driver.pump();
    for (let e = conn.pollEvent(); performance.now() < deadline; e = conn.pollEvent()) {
      if (e?.type === 'data') return { ms, echoed: new TextDecoder().decode(e.data) };
      if (e?.type === 'close') return { error: e.error?.message ?? 'closed' };
      if (e === undefined) await sleep(5);
    }
    return { error: 'no echo' };
  } finally {
    driver.stop();
  }
}

describe('maxConnectionsPerAddress', () => {
  it('20 stalling ports of 127.0.0.1 hold one worker; a client from 127.0.0.2 is served at once', async () => {
    server = createBlockingServer({
      handler: fixture('echo-handler.mjs'),
      credentials: serverCredentials,
      maxThreads: 2,
      maxQueue: 4,
      maxConnectionsPerAddress: 1,
    });
    const refusals: [Remote, RefusalReason][] = [];
    server.on('refused', (remote, reason) => void refusals.push([remote, reason]));
    const { port } = await server.listen(0, '127.0.0.1');
    const passed = await stall(port, '127.0.0.1', 20);
    await until(() => passed() === 20, 5000, 'the cookie exchanges');
    await sleep(100);
    const held = server.stats.active + server.stats.queued;

    const result = await echoFrom(port, '127.0.0.2');
    console.log(`blocking server, 20 stalling ports on 127.0.0.1: the client from 127.0.0.2 ${'ms' in result ? `was served in ${result.ms.toFixed(1)} ms` : `failed: ${result.error}`}`);
    expect(result).toMatchObject({ echoed: 'hello from another address' });
    expect(held).toBe(1);
    expect(refusals.length).toBeGreaterThanOrEqual(19);
    expect(refusals.every(([r, reason]) => r.address === '127.0.0.1' && reason === 'maxConnectionsPerAddress')).toBe(true);
  });

  it('rejects a bad value', () => {
    expect(() => createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: serverCredentials, maxConnectionsPerAddress: 0 })).toThrow(
      /maxConnectionsPerAddress must be an integer >= 1/,
    );
  });
});

describe('maxHandshakesPerAddress', () => {
  it('past it an address gets no answer, and its retransmission gets in once a handshake of that address stalled', async () => {
    server = createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: serverCredentials, maxHandshakesPerAddress: 1 });
    const refusals: [Remote, RefusalReason][] = [];
    const evictions: [Remote, EvictionReason, EvictionDetails][] = [];
    server.on('refused', (remote, reason) => void refusals.push([remote, reason]));
    server.on('evicted', (remote, reason, details) => void evictions.push([remote, reason, details]));
    const { port } = await server.listen(0, '127.0.0.1');
    const passed = await stall(port, '127.0.0.1', 1);
    await until(() => passed() === 1 && server!.stats.handshakes === 1 && server!.stats.active === 1, 5000, 'one handshake in progress, in a worker');
    await sleep(200); // its worker sent its flight: from then on it waits on a silent peer

    const result = await echoFrom(port, '127.0.0.1');
    console.log(`maxHandshakesPerAddress 1, one stalled handshake of 127.0.0.1: another client of 127.0.0.1 ${'ms' in result ? `was served in ${result.ms.toFixed(0)} ms` : `failed: ${result.error}`}`);
    expect(result).toMatchObject({ echoed: 'hello from another address' });
    // Its first ClientHello with the cookie came while the staller was young: dropped, no alert
    // (the client did not fail); its retransmission, 1 s later, pushed the staller out.
    expect(refusals.length).toBe(1);
    expect(refusals[0]?.[1]).toBe('maxHandshakesPerAddress');
    expect(evictions.length).toBe(1);
    const [[victim, reason, details]] = evictions as [[Remote, EvictionReason, EvictionDetails]];
    expect(reason).toBe('maxHandshakesPerAddress');
    expect(details.by).toEqual(refusals[0]?.[0]);
    expect(victim.port).not.toBe(details.by?.port);
    expect('ms' in result && result.ms).toBeGreaterThan(900);
  });

  it('rejects a bad value', () => {
    expect(() => createBlockingServer({ handler: fixture('echo-handler.mjs'), credentials: serverCredentials, maxHandshakesPerAddress: 0 })).toThrow(
      /maxHandshakesPerAddress must be an integer >= 1/,
    );
  });
});

describe('typed events', () => {
  it("'connectionError' carries an Error, a stage and the remote; a throwing handler does not stop the server", async () => {
    server = createBlockingServer({ handler: fixture('throwing-handler.mjs'), credentials: serverCredentials, maxThreads: 1 });
    const seen: [Error, ConnectionErrorStage, Remote][] = [];
    server.on('connectionError', (error, stage, remote) => void seen.push([error, stage, remote]));
    const { port } = await server.listen(0, '127.0.0.1');
    const result = await echoFrom(port, '127.0.0.1');
    expect(result).toMatchObject({ error: expect.stringMatching(/internal_error/) });
    await until(() => seen.length === 1, 5000, "'connectionError'");
    const [[error, stage, remote]] = seen as [[Error, ConnectionErrorStage, Remote]];
    expect(error).toBeInstanceOf(Error);
    expect(stage).toBe('handler');
    expect(remote.address).toBe('127.0.0.1');
  });
});
