/**
 * A hostile DTLS 1.3 client against our nonblocking server (maxVersion 'DTLSv1.3') over real
 * sockets on 127.0.0.1:
 *
 * - a flood of spoofed DTLS 1.3 ClientHellos, each with its own random and X25519 key share, from
 *   150 ports while a real 1.3 client connects: the stateless endpoint answers each with a
 *   HelloRetryRequest (RFC 9147 5.1) and keeps nothing — no connection, no handshake slot, and no
 *   key exchange computed for any of them (the server's crypto provider counts its calls), no
 *   amplification, the live heap bounded, the CPU per ClientHello bounded;
 * - garbage unified-header records (RFC 9147 4: first byte 001xxxxx, random everything after)
 *   from the address of an established connection and from other ports: dropped without an answer
 *   (4.5.2), the connection still carries data;
 * - an ACK flood (RFC 9147 7) from an established client: ACKs sealed under the connection's own
 *   keys naming records that never existed, and plaintext ACKs: nothing in answer, nothing kept,
 *   the connection goes on.
 *
 * Every loop is bounded in count and time.
 */
import dgram from 'node:dgram';
import diagnosticsChannel from 'node:diagnostics_channel';
import { once } from 'node:events';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type CryptoProvider, DtlsConnection, nodeCryptoProvider } from '@dtls-kit/core';
import { CHANNELS, connect, createServer, type DtlsServer, type DtlsSocket } from '@dtls-kit/nonblocking';
import { Rng } from '@dtls-kit/test-kit';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { clientPsk, serverPsk } from './support/credentials.js';
import { EngineClient } from './support/engine-client.js';
import { sleep, waitUntil } from './support/pool.js';

const V13 = { minVersion: 'DTLSv1.3', maxVersion: 'DTLSv1.3' } as const;
const FLOOD = 20_000;
const SOURCES = 150;
const BATCH = 100;
const DEADLINE_MS = 60_000;
const ACK_CONTENT_TYPE = 26;

v8.setFlagsFromString('--expose-gc');
const gcValue: unknown = runInNewContext('gc');
const collect = (): void => {
  if (typeof gcValue === 'function') gcValue();
};

/** node:crypto, counting the calls the server makes by method: key exchange shows as generateKeyShare. */
function countingProvider(): { provider: CryptoProvider; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const provider: CryptoProvider = { ...nodeCryptoProvider };
  for (const [name, value] of Object.entries(nodeCryptoProvider)) {
    if (typeof value !== 'function') continue;
    Reflect.set(provider, name, (...args: unknown[]): unknown => {
      calls.set(name, (calls.get(name) ?? 0) + 1);
      return Reflect.apply(value, nodeCryptoProvider, args);
    });
  }
  return { provider, calls };
}

/** A genuine DTLS 1.3 ClientHello (fresh random, fresh X25519 share, PSK binder) from our client engine. */
function freshHello(): Uint8Array {
  const conn = DtlsConnection.client({ ...V13, psk: clientPsk() });
  conn.connect(0);
  const [first] = conn.datagramsToSend();
  if (first === undefined) throw new Error('the client engine sent no ClientHello');
  return first.slice();
}

interface Wire {
  bytesIn: number;
  bytesOut: number;
  datagramsIn: number;
  datagramsOut: number;
  largestReply: number;
}

/** Counts, from the server's datagram channel, what came from and went to the given ports. */
/** The first bytes of the datagrams the server sent to watched ports (what it answered, for the failure message). */
const answers: string[] = [];

function watch(ports: Set<number>): { wire: Wire; stop: () => void } {
  answers.length = 0;
  const wire: Wire = { bytesIn: 0, bytesOut: 0, datagramsIn: 0, datagramsOut: 0, largestReply: 0 };
  const onDatagram = (m: unknown): void => {
    if (typeof m !== 'object' || m === null || !('remotePort' in m) || !('direction' in m) || !('datagram' in m)) return;
    if (typeof m.remotePort !== 'number' || !ports.has(m.remotePort) || !(m.datagram instanceof Uint8Array)) return;
    if (m.direction === 'in') {
      wire.bytesIn += m.datagram.length;
      wire.datagramsIn++;
    } else {
      wire.bytesOut += m.datagram.length;
      wire.datagramsOut++;
      wire.largestReply = Math.max(wire.largestReply, m.datagram.length);
      if (answers.length < 8) answers.push(`${m.remotePort}: ${Buffer.from(m.datagram.subarray(0, 16)).toString('hex')} (${m.datagram.length})`);
    }
  };
  diagnosticsChannel.subscribe(CHANNELS.datagram, onDatagram);
  return { wire, stop: () => diagnosticsChannel.unsubscribe(CHANNELS.datagram, onDatagram) };
}

const sockets: dgram.Socket[] = [];
let server: DtlsServer | undefined;
let engine: EngineClient | undefined;
afterEach(async () => {
  engine?.close();
  engine = undefined;
  await server?.close();
  server = undefined;
});
afterAll(async () => {
  await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

async function floodSockets(): Promise<dgram.Socket[]> {
  while (sockets.length < SOURCES) {
    const s = dgram.createSocket('udp4');
    s.on('message', () => {}); // the answers come back here; nobody reads them
    s.bind(0, '127.0.0.1');
    await once(s, 'listening');
    sockets.push(s);
  }
  return sockets;
}

async function echoServer(provider?: CryptoProvider): Promise<{ server: DtlsServer; port: number }> {
  const s = createServer({ ...V13, psk: serverPsk(), provider, handshakeTimeoutMs: 30_000, recvBufferSize: 4 << 20 }, (c) => c.on('message', (m: Buffer) => c.send(m)));
  server = s;
  const { port } = await s.listen(0, '127.0.0.1');
  return { server: s, port };
}

describe('DTLS 1.3 hostile client, nonblocking server', () => {
  it(`${FLOOD} spoofed 1.3 ClientHellos with key shares from ${SOURCES} ports: no state, no key exchange, no amplification, bounded CPU; a real 1.3 client gets in`, async () => {
    const { provider, calls } = countingProvider();
    const { server: srv, port } = await echoServer(provider);
    const flood = await floodSockets();
    // Made before the flood, so the CPU measured is the server's (and the socket's).
    const hellos = Array.from({ length: FLOOD }, freshHello);
    const smallest = Math.min(...hellos.map((h) => h.length));
    const { wire, stop } = watch(new Set(flood.map((s) => s.address().port)));
    try {
      collect();
      const heapBefore = process.memoryUsage().heapUsed;
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      const baseline = srv.stats.datagrams;
      let sent = 0;
      let peakConnections = 0;
      let peakHandshakes = 0;
      let real: Promise<DtlsSocket> | undefined;
      let realEstablishedAt: number | undefined;
      while (sent < FLOOD && performance.now() - started < DEADLINE_MS) {
        const batch = Math.min(BATCH, FLOOD - sent);
        await Promise.all(
          Array.from({ length: batch }, (_, k) => {
            const n = sent + k;
            const socket = flood[n % SOURCES];
            const hello = hellos[n];
            return new Promise<void>((resolve) => (socket === undefined || hello === undefined ? resolve() : socket.send(hello, port, '127.0.0.1', () => resolve())));
          }),
        );
        sent += batch;
        await waitUntil(() => srv.stats.datagrams >= baseline + sent * 0.97, 50);
        peakConnections = Math.max(peakConnections, srv.stats.connections);
        peakHandshakes = Math.max(peakHandshakes, srv.stats.handshakes);
        if (real === undefined && sent >= FLOOD / 10) {
          real = connect({ ...V13, host: '127.0.0.1', port, psk: clientPsk(), handshakeTimeoutMs: 30_000 }).then((c) => {
            realEstablishedAt ??= sent;
            return c;
          });
          real.catch(() => {});
        }
        await sleep(0);
      }
      const cpu = process.cpuUsage(cpuBefore);
      const floodMs = performance.now() - started;
      expect(sent).toBe(FLOOD);
      if (real === undefined) throw new Error('the real client never started');
      const socket = await real;
      const echoes: string[] = [];
      socket.on('message', (m: Buffer) => echoes.push(m.toString('utf8')));
      socket.send('real 1.3 client');
      expect(await waitUntil(() => echoes.length === 1, 5000)).toBe(true);
      expect(socket.getProtocol()).toBe('DTLSv1.3');
      socket.destroy();
      await waitUntil(() => wire.datagramsIn >= sent * 0.97, 3000);
      await sleep(200);
      collect();
      const heapAfter = process.memoryUsage().heapUsed;
      const stats = srv.stats;
      const figures = {
        sent,
        floodMs: Math.round(floodMs),
        realClientEstablishedAfter: realEstablishedAt,
        receivedByServer: wire.datagramsIn,
        bytesIn: wire.bytesIn,
        repliesToFlood: wire.datagramsOut,
        bytesOut: wire.bytesOut,
        largestReply: wire.largestReply,
        smallestHello: smallest,
        accepted: stats.accepted,
        peakConnections,
        peakHandshakes,
        keyShares: calls.get('generateKeyShare') ?? 0,
        cpuMicrosPerHello: Math.round((cpu.user + cpu.system) / sent),
        heapMiB: [heapBefore, heapAfter].map((b) => Math.round(b / 1048576)),
      };
      process.stdout.write(`\nDTLS 1.3 ClientHello flood: ${JSON.stringify(figures)}\n`);
      expect(wire.datagramsIn).toBeGreaterThan(FLOOD * 0.9);
      // No state: the real client's is the only connection; no key pair for any spoofed hello. The
      // real one's handshake makes 2 at most: its own, and the one the server makes ahead for the next
      // handshake while it waits for this one's Finished (KeyShareReserve, filled by prepare()).
      expect(stats.accepted).toBe(1);
      expect(peakConnections).toBeLessThanOrEqual(1);
      expect(peakHandshakes).toBeLessThanOrEqual(1);
      expect(figures.keyShares).toBeLessThanOrEqual(stats.accepted + 1);
      // No amplification (RFC 9147 5.1): each HelloRetryRequest smaller than the smallest hello, fewer bytes back than in.
      expect(wire.bytesOut).toBeLessThanOrEqual(wire.bytesIn);
      expect(wire.largestReply).toBeLessThan(smallest);
      expect(wire.datagramsOut).toBeLessThanOrEqual(wire.datagramsIn);
      // Bounded: an HMAC and a hash per hello, not a key exchange (generous for a loaded machine).
      expect(figures.cpuMicrosPerHello).toBeLessThan(2_000);
      expect(heapAfter - heapBefore).toBeLessThan(32 * 1048576);
    } finally {
      stop();
    }
  }, 120_000);

  it('20,000 garbage unified-header records from an established 1.3 connection’s address and from 150 other ports: no answer, the connection carries data', async () => {
    const { server: srv, port } = await echoServer();
    const flood = await floodSockets();
    engine = await EngineClient.connect(port, { ...V13, psk: clientPsk() });
    const e = engine;
    // The client is established once its Finished is out; the server's ACK of it comes just after.
    await sleep(300);
    expect(e.conn.protocol).toBe('DTLSv1.3');
    const { wire, stop } = watch(new Set([...flood.map((s) => s.address().port), e.localPort]));
    try {
      const rng = new Rng(9147);
      collect();
      const heapBefore = process.memoryUsage().heapUsed;
      const started = performance.now();
      let sent = 0;
      for (let i = 0; i < 200 && performance.now() - started < DEADLINE_MS; i++) {
        await Promise.all(
          Array.from({ length: BATCH }, (_, k) => {
            const n = i * BATCH + k;
            const d = new Uint8Array(rng.bytes(1 + rng.int(1200)));
            d[0] = 0x20 | ((d[0] ?? 0) & 0x1f); // 001CSLEE: a unified header, every flag and epoch bit random
            sent++;
            if (n % 2 === 0) return e.raw(d);
            const socket = flood[n % SOURCES];
            return new Promise<void>((resolve) => (socket === undefined ? resolve() : socket.send(d, port, '127.0.0.1', () => resolve())));
          }),
        );
        // Flow control, bounded at 50 ms a batch: what the kernel drops proves nothing.
        await waitUntil(() => wire.datagramsIn >= sent * 0.97, 50);
        await sleep(0);
      }
      await waitUntil(() => wire.datagramsIn >= sent * 0.97, 5000);
      await sleep(200);
      expect(wire.datagramsIn).toBeGreaterThan(sent * 0.9);
      if (wire.datagramsOut > 0) process.stdout.write(`answered: ${JSON.stringify(answers)}\n`);
      expect(wire.datagramsOut).toBe(0);
      expect(srv.stats.accepted).toBe(1);
      e.conn.send(Buffer.from('after the garbage'));
      e.pump();
      expect(await waitUntil(() => e.received().includes('after the garbage'), 5000)).toBe(true);
      expect(e.conn.state).toBe('established');
      collect();
      expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(32 * 1048576);
      process.stdout.write(`\nDTLS 1.3 garbage unified headers: ${JSON.stringify({ sent, received: wire.datagramsIn, answered: wire.datagramsOut, ms: Math.round(performance.now() - started) })}\n`);
    } finally {
      stop();
    }
  }, 120_000);

  it('an ACK flood from an established 1.3 client: 20,000 ACKs under its keys naming records that never were, and plaintext ACKs: nothing in answer, the connection goes on', async () => {
    const { port } = await echoServer();
    engine = await EngineClient.connect(port, { ...V13, psk: clientPsk() });
    const e = engine;
    // The client is established once its Finished is out; the server's ACK of it comes just after.
    await sleep(300);
    const { wire, stop } = watch(new Set([e.localPort]));
    try {
      const rng = new Rng(7);
      collect();
      const heapBefore = process.memoryUsage().heapUsed;
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      let sent = 0;
      for (let i = 0; i < 200 && performance.now() - started < DEADLINE_MS; i++) {
        await Promise.all(
          Array.from({ length: BATCH }, () => {
            // RFC 9147 7: record_numbers<0..2^16-1>, each a 64-bit epoch and a 64-bit sequence number.
            const count = 1 + rng.int(64);
            const ack = new Uint8Array(2 + count * 16);
            new DataView(ack.buffer).setUint16(0, count * 16);
            for (let k = 0; k < count; k++) {
              const at = 2 + k * 16;
              new DataView(ack.buffer).setUint32(at + 4, rng.int(6));
              new DataView(ack.buffer).setUint32(at + 12, rng.int(2 ** 31));
            }
            sent++;
            if (sent % 10 === 0) {
              // A plaintext ACK (the 13-byte DTLSPlaintext header, epoch 0): never taken.
              const header = new Uint8Array(13);
              header[0] = ACK_CONTENT_TYPE;
              header[1] = 0xfe;
              header[2] = 0xfd;
              new DataView(header.buffer).setUint16(11, ack.length);
              return e.raw(Buffer.concat([header, ack]));
            }
            return e.raw(e.seal13(ACK_CONTENT_TYPE, ack));
          }),
        );
        await waitUntil(() => wire.datagramsIn >= sent * 0.97, 50);
        await sleep(0);
      }
      await waitUntil(() => wire.datagramsIn >= sent * 0.97, 5000);
      await sleep(200);
      const cpu = process.cpuUsage(cpuBefore);
      expect(wire.datagramsIn).toBeGreaterThan(sent * 0.9);
      // Nothing goes back for an ACK (RFC 9147 7: ACKs are not acknowledged).
      expect(wire.datagramsOut).toBe(0);
      e.conn.send(Buffer.from('after the ACKs'));
      e.pump();
      expect(await waitUntil(() => e.received().includes('after the ACKs'), 5000)).toBe(true);
      expect(e.conn.state).toBe('established');
      collect();
      const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
      process.stdout.write(
        `\nDTLS 1.3 ACK flood: ${JSON.stringify({ sent, received: wire.datagramsIn, answered: wire.datagramsOut, cpuMicrosPerAck: Math.round((cpu.user + cpu.system) / sent), heapGrowthMiB: Math.round(heapGrowth / 1048576) })}\n`,
      );
      expect(heapGrowth).toBeLessThan(32 * 1048576);
    } finally {
      stop();
    }
  }, 120_000);
});
