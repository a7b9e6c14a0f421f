/**
 * A ClientHello flood over real sockets: 100 000 spoofed, valid-looking ClientHellos (each
 * with its own random, session id, and a quarter with a forged cookie) from 150 source ports
 * at our nonblocking server, while a real client connects and exchanges data.
 *
 * RFC 6347 4.2.1: the server answers a ClientHello without a valid cookie with a
 * HelloVerifyRequest and keeps nothing, so a flood from spoofed addresses costs it no state
 * and cannot be amplified: the reply is smaller than the request.
 */
import dgram from 'node:dgram';
import diagnosticsChannel from 'node:diagnostics_channel';
import { once } from 'node:events';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DtlsConnection } from '@dtls-kit/core';
import { CHANNELS, connect, createServer, type DtlsSocket } from '@dtls-kit/nonblocking';
import { Rng } from '@dtls-kit/test-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { PSK_SUITE, clientPsk, serverPsk } from './support/credentials.js';
import { sleep, waitUntil } from './support/pool.js';

const FLOOD = 100_000;
const SOURCES = 150;
/**
 * Datagrams per batch: the server's socket buffer holds a few hundred small datagrams
 * (rmem_max), so the flood goes in batches the server drains before the next one.
 */
const BATCH = 100;
const FLOOD_DEADLINE_MS = 60_000;

// A collection before each memory reading, so the figures are the live heap, not garbage.
v8.setFlagsFromString('--expose-gc');
const gcValue: unknown = runInNewContext('gc');
const collect = (): void => {
  if (typeof gcValue === 'function') gcValue();
};

/** A genuine ClientHello from our own client engine: the template of the flood. */
function templateHello(): Uint8Array {
  const conn = DtlsConnection.client({ psk: clientPsk(), cipherSuites: PSK_SUITE });
  conn.connect(performance.now());
  const [first] = conn.datagramsToSend();
  if (first === undefined) throw new Error('the client engine sent no ClientHello');
  return first;
}

/**
 * The template with a fresh random, a session id of 0-32 random bytes and, with `cookie`, a
 * forged 32-byte cookie; record, handshake and fragment lengths rewritten to match
 * (RFC 6347 4.1 record header, 4.2.2 handshake header, ClientHello body of 4.2.1).
 */
function spoofedHello(template: Uint8Array, rng: Rng, sequence: number, cookie: boolean): Buffer {
  const t = Buffer.from(template);
  const body = t.subarray(25);
  const version = body.subarray(0, 2);
  const sidLength = body[34] ?? 0;
  const cookieAt = 35 + sidLength;
  const cookieLength = body[cookieAt] ?? 0;
  const rest = body.subarray(cookieAt + 1 + cookieLength);
  const sid = rng.bytes(rng.int(33));
  const forged = cookie ? rng.bytes(32) : new Uint8Array(0);
  const newBody = Buffer.concat([version, rng.bytes(32), Buffer.from([sid.length]), sid, Buffer.from([forged.length]), forged, rest]);
  const header = Buffer.from(t.subarray(0, 25));
  header.writeUIntBE(sequence, 5, 6);
  header.writeUInt16BE(12 + newBody.length, 11);
  header.writeUIntBE(newBody.length, 14, 3);
  header.writeUInt16BE(0, 17);
  header.writeUIntBE(0, 20, 3);
  header.writeUIntBE(newBody.length, 22, 3);
  return Buffer.concat([header, newBody]);
}

const sockets: dgram.Socket[] = [];
afterAll(async () => {
  await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

describe('a ClientHello flood', () => {
  it(`${FLOOD} spoofed ClientHellos from ${SOURCES} ports: no state, no amplification, a real client still gets in`, async () => {
    const server = createServer({ psk: serverPsk(), cipherSuites: PSK_SUITE, handshakeTimeoutMs: 30_000, recvBufferSize: 4 << 20 }, (s) =>
      s.on('message', (m: Buffer) => s.send(m)),
    );
    const { port } = await server.listen(0, '127.0.0.1');
    const floodPorts = new Set<number>();
    const wire = { bytesIn: 0, bytesOut: 0, datagramsIn: 0, datagramsOut: 0, largestReply: 0 };
    const onDatagram = (m: unknown): void => {
      if (typeof m !== 'object' || m === null || !('remotePort' in m) || !('direction' in m) || !('datagram' in m)) return;
      if (typeof m.remotePort !== 'number' || !floodPorts.has(m.remotePort) || !(m.datagram instanceof Uint8Array)) return;
      if (m.direction === 'in') {
        wire.bytesIn += m.datagram.length;
        wire.datagramsIn++;
      } else {
        wire.bytesOut += m.datagram.length;
        wire.datagramsOut++;
        wire.largestReply = Math.max(wire.largestReply, m.datagram.length);
      }
    };
    diagnosticsChannel.subscribe(CHANNELS.datagram, onDatagram);
    let client: DtlsSocket | undefined;
    try {
      for (let i = 0; i < SOURCES; i++) {
        const s = dgram.createSocket('udp4');
        // The HelloVerifyRequests come back to these sockets; nobody answers them.
        s.on('message', () => {});
        s.bind(0, '127.0.0.1');
        await once(s, 'listening');
        floodPorts.add(s.address().port);
        sockets.push(s);
      }
      const template = templateHello();
      const rng = new Rng(424_242);
      collect();
      const before = process.memoryUsage();
      const started = performance.now();
      const baseline = server.stats.datagrams;
      let sent = 0;
      let requestBytes = 0;
      let peakConnections = 0;
      let peakHandshakes = 0;
      let connecting: Promise<DtlsSocket> | undefined;
      /** How much of the flood had been sent when the real client's handshake finished. */
      let establishedAtSent: number | undefined;
      // Bounded in count (FLOOD) and time (FLOOD_DEADLINE_MS); batches yield to the event loop,
      // which the server shares, so the flood runs as fast as the server takes it.
      while (sent < FLOOD && performance.now() - started < FLOOD_DEADLINE_MS) {
        const batch = Math.min(BATCH, FLOOD - sent);
        await Promise.all(
          Array.from({ length: batch }, (_, k) => {
            const n = sent + k;
            const hello = spoofedHello(template, rng, n, n % 4 === 3);
            requestBytes += hello.length;
            const socket = sockets[n % SOURCES];
            return new Promise<void>((resolve) => (socket === undefined ? resolve() : socket.send(hello, port, '127.0.0.1', () => resolve())));
          }),
        );
        sent += batch;
        // Flow control, bounded at 50 ms a batch: the kernel drops what the server's buffer
        // cannot hold, and a flood that mostly dies in the kernel proves little.
        const target = baseline + sent * 0.97;
        await waitUntil(() => server.stats.datagrams >= target, 50);
        peakConnections = Math.max(peakConnections, server.stats.connections);
        peakHandshakes = Math.max(peakHandshakes, server.stats.handshakes);
        // The real client starts a tenth of the way in, and handshakes during the flood.
        if (connecting === undefined && sent >= FLOOD / 10) {
          connecting = connect({ host: '127.0.0.1', port, psk: clientPsk(), cipherSuites: PSK_SUITE, handshakeTimeoutMs: 30_000 });
          connecting.then(
            () => {
              establishedAtSent ??= sent;
            },
            () => {},
          );
        }
        await sleep(0);
      }
      const floodMs = performance.now() - started;
      expect(sent).toBe(FLOOD);
      // The real client got in while the flood was still going.
      expect(establishedAtSent).toBeDefined();
      expect(establishedAtSent ?? FLOOD).toBeLessThan(FLOOD);
      if (connecting === undefined) throw new Error('the real client never started');
      client = await connecting;
      const c = client;
      const replies: string[] = [];
      c.on('message', (m: Buffer) => replies.push(m.toString('utf8')));
      for (let i = 0; i < 5; i++) c.send(`real client ${i}`);
      expect(await waitUntil(() => replies.length === 5, 5000)).toBe(true);
      expect(replies).toEqual([0, 1, 2, 3, 4].map((i) => `real client ${i}`));
      // Let the socket drain what the kernel still holds before the final figures.
      await waitUntil(() => wire.datagramsIn >= sent * 0.97, 3000);
      await sleep(200);
      collect();
      const after = process.memoryUsage();
      const stats = server.stats;
      const figures = {
        sent,
        clientEstablishedAfter: establishedAtSent,
        requestBytes,
        floodMs: Math.round(floodMs),
        receivedByServer: wire.datagramsIn,
        bytesIn: wire.bytesIn,
        repliesToFlood: wire.datagramsOut,
        bytesOut: wire.bytesOut,
        largestReply: wire.largestReply,
        helloVerifyRequests: stats.helloVerifyRequests,
        accepted: stats.accepted,
        peakConnections,
        peakHandshakes,
        rssMiB: [before.rss, after.rss].map((b) => Math.round(b / 1048576)),
        heapMiB: [before.heapUsed, after.heapUsed].map((b) => Math.round(b / 1048576)),
      };
      process.stdout.write(`\nClientHello flood: ${JSON.stringify(figures)}\n`);
      // Nearly all of the flood reached the server (the kernel may drop a few under load).
      expect(wire.datagramsIn).toBeGreaterThan(FLOOD * 0.9);
      // No state: the only connection ever created is the real client's.
      expect(stats.accepted).toBe(1);
      expect(peakConnections).toBeLessThanOrEqual(1);
      expect(peakHandshakes).toBeLessThanOrEqual(1);
      // No amplification: fewer bytes back to the flood sources than they sent, and each reply
      // smaller than the smallest spoofed ClientHello (RFC 6347 4.2.1).
      expect(wire.bytesOut).toBeLessThanOrEqual(wire.bytesIn);
      expect(wire.largestReply).toBeLessThan(template.length);
      // Every spoofed ClientHello got at most one reply (a HelloVerifyRequest) and nothing more.
      expect(wire.datagramsOut).toBeLessThanOrEqual(wire.datagramsIn);
      // Memory bounded: the live heap after the flood is within 32 MiB of before.
      expect(after.heapUsed - before.heapUsed).toBeLessThan(32 * 1048576);
    } finally {
      diagnosticsChannel.unsubscribe(CHANNELS.datagram, onDatagram);
      client?.destroy();
      await server.close();
    }
  }, 120_000);
});
