/**
 * The DTLS 1.3 ClientHello flood against the blocking runtime's server (maxVersion DTLSv1.3): its
 * main thread runs the stateless cookie check (RFC 9147 5.1) and hands a worker only a ClientHello
 * whose HelloRetryRequest cookie verified. 5 000 spoofed 1.3 ClientHellos, each with its own random
 * and X25519 share, from 50 ports, while a real 1.3 client connects: each gets one
 * HelloRetryRequest, smaller than the smallest hello (counted where the spoofed sources receive
 * them), no worker is taken for any of them, and the real client's data still echoes.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { createBlockingServer, type BlockingServer } from '@dtls-kit/blocking';
import { DtlsConnection } from '@dtls-kit/core';
import { connect } from '@dtls-kit/nonblocking';
import { afterEach, describe, expect, it } from 'vitest';
import { Rng } from '@dtls-kit/test-kit';
import { clientPsk, PSK_IDENTITY, PSK_KEY } from './support/credentials.js';
import { EngineClient } from './support/engine-client.js';
import { sleep, waitUntil } from './support/pool.js';

const V13 = { minVersion: 'DTLSv1.3', maxVersion: 'DTLSv1.3' } as const;
const FLOOD = 5_000;
const SOURCES = 50;
const BATCH = 50;
const DEADLINE_MS = 60_000;

function freshHello(): Uint8Array {
  const conn = DtlsConnection.client({ ...V13, psk: clientPsk() });
  conn.connect(0);
  const [first] = conn.datagramsToSend();
  if (first === undefined) throw new Error('the client engine sent no ClientHello');
  return first.slice();
}

let server: BlockingServer | undefined;
let engine: EngineClient | undefined;
const sockets: dgram.Socket[] = [];
afterEach(async () => {
  engine?.close();
  engine = undefined;
  await Promise.all(sockets.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  await server?.close();
  server = undefined;
});

describe('DTLS 1.3 ClientHello flood, blocking server', () => {
  it(`${FLOOD} spoofed 1.3 ClientHellos with key shares from ${SOURCES} ports: HelloRetryRequests only, no worker taken, no amplification; a real 1.3 client gets in`, async () => {
    const srv = createBlockingServer({
      ...V13,
      handler: new URL('./support/nat-rebinding-blocking-handler.mjs', import.meta.url),
      credentials: { psk: { keys: { [PSK_IDENTITY]: PSK_KEY } } },
      maxThreads: 1,
    });
    server = srv;
    const { port } = await srv.listen(0, '127.0.0.1');
    const replies = { datagrams: 0, bytes: 0, largest: 0 };
    for (let i = 0; i < SOURCES; i++) {
      const s = dgram.createSocket('udp4');
      s.on('message', (m: Buffer) => {
        replies.datagrams++;
        replies.bytes += m.length;
        replies.largest = Math.max(replies.largest, m.length);
      });
      s.bind(0, '127.0.0.1');
      await once(s, 'listening');
      sockets.push(s);
    }
    const hellos = Array.from({ length: FLOOD }, freshHello);
    const smallest = Math.min(...hellos.map((h) => h.length));
    const started = performance.now();
    let sent = 0;
    let bytesSent = 0;
    let peakActive = 0;
    let real: ReturnType<typeof connect> | undefined;
    while (sent < FLOOD && performance.now() - started < DEADLINE_MS) {
      const batch = Math.min(BATCH, FLOOD - sent);
      await Promise.all(
        Array.from({ length: batch }, (_, k) => {
          const n = sent + k;
          const socket = sockets[n % SOURCES];
          const hello = hellos[n];
          if (socket === undefined || hello === undefined) return Promise.resolve();
          bytesSent += hello.length;
          return new Promise<void>((resolve) => socket.send(hello, port, '127.0.0.1', () => resolve()));
        }),
      );
      sent += batch;
      // Flow control, bounded at 50 ms a batch: the main thread answers as it reads.
      await waitUntil(() => replies.datagrams >= sent * 0.97, 50);
      peakActive = Math.max(peakActive, srv.stats.active + srv.stats.queued);
      if (real === undefined && sent >= FLOOD / 10) {
        real = connect({ ...V13, host: '127.0.0.1', port, psk: clientPsk(), handshakeTimeoutMs: 30_000 });
        real.catch(() => {});
      }
      await sleep(0);
    }
    expect(sent).toBe(FLOOD);
    if (real === undefined) throw new Error('the real client never started');
    const client = await real;
    const echoes: string[] = [];
    client.on('message', (m: Buffer) => echoes.push(m.toString('utf8')));
    client.send('real 1.3 client');
    expect(await waitUntil(() => echoes.length === 1, 10_000)).toBe(true);
    expect(client.getProtocol()).toBe('DTLSv1.3');
    client.destroy();
    await waitUntil(() => replies.datagrams >= sent * 0.97, 3000);
    const figures = { sent, bytesSent, replies: replies.datagrams, replyBytes: replies.bytes, largestReply: replies.largest, smallestHello: smallest, peakActive, ms: Math.round(performance.now() - started) };
    process.stdout.write(`\nDTLS 1.3 ClientHello flood, blocking: ${JSON.stringify(figures)}\n`);
    expect(replies.datagrams).toBeGreaterThan(FLOOD * 0.9);
    expect(replies.datagrams).toBeLessThanOrEqual(FLOOD);
    expect(replies.bytes).toBeLessThanOrEqual(bytesSent);
    expect(replies.largest).toBeLessThan(smallest);
    // Only the real client ever took the worker.
    expect(peakActive).toBeLessThanOrEqual(1);
  }, 120_000);

  it('garbage unified-header records and an ACK flood (under the connection’s own keys, and in plaintext) from an established 1.3 client: no answer, the worker’s connection still echoes', async () => {
    const srv = createBlockingServer({
      ...V13,
      handler: new URL('./support/nat-rebinding-blocking-handler.mjs', import.meta.url),
      credentials: { psk: { keys: { [PSK_IDENTITY]: PSK_KEY } } },
      maxThreads: 1,
    });
    server = srv;
    const { port } = await srv.listen(0, '127.0.0.1');
    engine = await EngineClient.connect(port, { ...V13, psk: clientPsk() });
    const e = engine;
    expect(e.conn.protocol).toBe('DTLSv1.3');
    // The client is established once its Finished is out; the server's ACK of it comes just after.
    await sleep(300);
    const before = e.datagramsReceived;
    const rng = new Rng(13);
    const started = performance.now();
    let sent = 0;
    for (let i = 0; i < 100 && performance.now() - started < DEADLINE_MS; i++) {
      for (let k = 0; k < BATCH; k++) {
        sent++;
        if (sent % 2 === 0) {
          const d = new Uint8Array(rng.bytes(1 + rng.int(1200)));
          d[0] = 0x20 | ((d[0] ?? 0) & 0x1f);
          await e.raw(d);
          continue;
        }
        // RFC 9147 7: an ACK naming records that never were (64-bit epoch, 64-bit sequence number each).
        const count = 1 + rng.int(32);
        const ack = new Uint8Array(2 + count * 16);
        const view = new DataView(ack.buffer);
        view.setUint16(0, count * 16);
        for (let n = 0; n < count; n++) {
          view.setUint32(2 + n * 16 + 4, rng.int(6));
          view.setUint32(2 + n * 16 + 12, rng.int(2 ** 31));
        }
        await e.raw(sent % 10 === 1 ? Buffer.concat([Uint8Array.of(26, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, (ack.length >> 8) & 0xff, ack.length & 0xff), ack]) : e.seal13(26, ack));
      }
      await sleep(1);
    }
    await sleep(500);
    const answered = e.datagramsReceived - before;
    process.stdout.write(`\nDTLS 1.3 garbage and ACKs, blocking: ${JSON.stringify({ sent, answered, ms: Math.round(performance.now() - started) })}\n`);
    expect(sent).toBe(100 * BATCH);
    expect(answered).toBe(0);
    e.conn.send(Buffer.from('m1:after the garbage'));
    e.pump();
    expect(await waitUntil(() => e.received().includes('m1:after the garbage'), 10_000)).toBe(true);
    expect(e.conn.state).toBe('established');
  }, 120_000);
});
