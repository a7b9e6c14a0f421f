/**
 * Memory a peer can pin is bounded by what it sends (issue 12, point 3).
 *
 * The attack: 1,000 half-open handshakes, each from its own loopback address, each doing the
 * cookie exchange (RFC 6347 4.2.1) and then sending nine 1-byte handshake fragments that claim
 * 64 KB messages (message_seq next .. next + 8, the reassembly window). RFC 6347 4.2.3 lets a
 * receiver buffer fragments of messages ahead of the next one; a reassembler that allocated the
 * claimed length on the first fragment held ~288 KB per handshake for 234 bytes sent (300 MB of
 * RSS for 0.2 MB sent). Now a fragment costs the bytes it carries plus 16.
 *
 * The server is a real @dtls-kit/nonblocking server in a child process (so the attacker's
 * sockets and buffers are not in the figure), asked for its RSS after a garbage collection. It
 * runs with --max-semi-space-size=1: V8 otherwise grows its young generation (up to 3 x 16 MB)
 * with the allocation rate of any burst of traffic, benign or not, and keeps it after a
 * collection, which would hide what the attack retains behind a GC heuristic. The figure is
 * printed in two steps: the half-open handshakes themselves, then the claiming fragments.
 */
import { type ChildProcess, fork } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { DtlsConnection } from '@dtls-kit/core';
import { encodeHandshakeFragment, HandshakeType } from '@dtls-kit/core/internal';
import { afterAll, describe, expect, it } from 'vitest';
import { PSK_SUITE, clientPsk } from './support/credentials.js';
import { plaintextRecord } from './support/forge.js';
import { runPool, sleep } from './support/pool.js';

const ATTACKERS = 1_000;
const FRAGMENTS = 9;
const CLAIMED_LENGTH = 65_536;
const TEST_DEADLINE_MS = 50_000;

interface Measure {
  rss: number;
  heapUsed: number;
  arrayBuffers: number;
  stats: { handshakes: number; datagrams: number; accepted: number };
}

const MB = 1024 * 1024;
const mb = (bytes: number): string => `${(bytes / MB).toFixed(1)} MB`;

/** The memory server in its own process, and a way to ask it for a measurement. */
class ServerProcess {
  private nextId = 0;
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static async start(options: Record<string, unknown>): Promise<ServerProcess> {
    const script = fileURLToPath(new URL('./support/memory-server.mjs', import.meta.url));
    const child = fork(script, [JSON.stringify(options)], { execArgv: ['--expose-gc', '--max-semi-space-size=1'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the memory server did not start within 10 s')), 10_000);
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`the memory server exited with ${String(code)}`)));
      child.on('message', (m: unknown) => {
        if (isRecord(m) && m['type'] === 'listening' && typeof m['port'] === 'number') {
          clearTimeout(timer);
          resolve(m['port']);
        }
      });
    });
    return new ServerProcess(child, port);
  }

  measure(): Promise<Measure> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no measurement within 10 s')), 10_000);
      const onMessage = (m: unknown): void => {
        if (!isRecord(m) || m['type'] !== 'measured' || m['id'] !== id) return;
        clearTimeout(timer);
        this.child.off('message', onMessage);
        const stats = m['stats'];
        resolve({
          rss: numberOf(m, 'rss'),
          heapUsed: numberOf(m, 'heapUsed'),
          arrayBuffers: numberOf(m, 'arrayBuffers'),
          stats: isRecord(stats)
            ? { handshakes: numberOf(stats, 'handshakes'), datagrams: numberOf(stats, 'datagrams'), accepted: numberOf(stats, 'accepted') }
            : { handshakes: 0, datagrams: 0, accepted: 0 },
        });
      };
      this.child.on('message', onMessage);
      this.child.send({ type: 'measure', id });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.send({ type: 'close' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function numberOf(o: Record<string, unknown>, key: string): number {
  const v = o[key];
  return typeof v === 'number' ? v : Number.NaN;
}

/** Attacker i's loopback address: 127.0.1.1 ... (250 per /24), never the server's 127.0.0.1. */
function attackerAddress(i: number): string {
  return `127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`;
}

/** Nine epoch-0 records, each a 1-byte fragment of a message claiming 64 KB (message_seq `first` ...). */
function claimingFragments(first: number): Uint8Array {
  const records: Uint8Array[] = [];
  for (let k = 0; k < FRAGMENTS; k++) {
    const fragment = encodeHandshakeFragment({
      msgType: HandshakeType.certificate,
      length: CLAIMED_LENGTH,
      messageSeq: first + k,
      fragmentOffset: 1000 + k,
      body: new Uint8Array([k]),
    });
    records.push(plaintextRecord(22, 0, 100 + k, fragment));
  }
  return Buffer.concat(records);
}

/**
 * One half-open handshake from `socket`: ClientHello, the HelloVerifyRequest's cookie, the
 * ClientHello with it (our own client engine builds both); resolves once the server's flight 4
 * shows the connection exists. Retries the hellos on loss.
 */
async function halfOpen(socket: dgram.Socket, port: number, sent: { bytes: number }): Promise<void> {
  // DTLS 1.2: the attack is on 1.2's reassembler (plaintext epoch-0 fragments of the messages
  // after the HelloVerifyRequest exchange); a 1.3 server reads its peer's flight encrypted.
  const engine = DtlsConnection.client({ psk: clientPsk(), cipherSuites: PSK_SUITE, maxVersion: 'DTLSv1.2' });
  const send = (d: Uint8Array): void => {
    sent.bytes += d.length;
    socket.send(d, port, '127.0.0.1');
  };
  let phase: 'hello' | 'cookie' | 'done' = 'hello';
  const done = new Promise<void>((resolve) => {
    const onMessage = (m: Buffer): void => {
      if (phase === 'hello') {
        // The HelloVerifyRequest: the engine answers with the ClientHello carrying the cookie.
        engine.receive(new Uint8Array(m), performance.now());
        for (const d of engine.datagramsToSend()) send(d);
        phase = 'cookie';
      } else if (phase === 'cookie') {
        // Flight 4: the connection exists (the ClientHello was message_seq 1; 2 comes next).
        phase = 'done';
        socket.off('message', onMessage);
        resolve();
      }
    };
    socket.on('message', onMessage);
  });
  engine.connect(performance.now());
  for (const d of engine.datagramsToSend()) send(d);
  for (let attempt = 0; attempt < 5; attempt++) {
    const outcome = await Promise.race([done.then(() => 'done'), sleep(1_500).then(() => 'late')]);
    if (outcome === 'done') return;
    // Lost on the way (a full socket buffer): the engine retransmits its last flight.
    engine.handleTimeout(engine.nextTimeout() ?? performance.now());
    for (const d of engine.datagramsToSend()) send(d);
  }
  throw new Error(`no handshake progress from ${socket.address().address}`);
}

/** Measures until the server has seen `datagrams` datagrams (bounded: 5 s). */
async function measureAfter(server: ServerProcess, datagrams: number): Promise<Measure> {
  let m = await server.measure();
  for (let tries = 0; tries < 50 && m.stats.datagrams < datagrams; tries++) {
    await sleep(100);
    m = await server.measure();
  }
  return m;
}

let server: ServerProcess | undefined;
const sockets: dgram.Socket[] = [];
afterAll(async () => {
  await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  await server?.stop();
});

describe('memory pinned by half-open handshakes', () => {
  it(
    `${ATTACKERS} half-open handshakes from ${ATTACKERS} addresses, ${FRAGMENTS} 1-byte fragments each claiming 64 KB: the server's RSS grows by under 20 MB`,
    async () => {
      const started = performance.now();
      server = await ServerProcess.start({ maxHandshakes: 2_000, maxConnections: 5_000, handshakeTimeoutMs: 120_000 });
      const port = server.port;
      for (let i = 0; i < ATTACKERS; i++) {
        const s = dgram.createSocket('udp4');
        s.bind(0, attackerAddress(i));
        await once(s, 'listening');
        sockets.push(s);
      }
      const before = await server.measure();

      const handshakeBytes = { bytes: 0 };
      await runPool(ATTACKERS, 50, async (i) => {
        const socket = sockets[i];
        if (socket === undefined) throw new Error('no socket');
        await halfOpen(socket, port, handshakeBytes);
      });
      const handshakes = await measureAfter(server, 2 * ATTACKERS);

      // The attack proper: nine claiming fragments from every half-open handshake.
      const forged = claimingFragments(2);
      for (let i = 0; i < ATTACKERS; i += 100) {
        await Promise.all(
          sockets.slice(i, i + 100).map((s) => new Promise<void>((resolve) => s.send(forged, port, '127.0.0.1', () => resolve()))),
        );
        await sleep(5);
      }
      const after = await measureAfter(server, handshakes.stats.datagrams + ATTACKERS);

      const growth = after.rss - before.rss;
      console.log(
        `${ATTACKERS} half-open handshakes (${mb(handshakeBytes.bytes)} sent): server RSS ${mb(before.rss)} -> ${mb(handshakes.rss)} ` +
          `(+${mb(handshakes.rss - before.rss)}, heap +${mb(handshakes.heapUsed - before.heapUsed)}); then ${ATTACKERS * FRAGMENTS} 1-byte fragments claiming 64 KB each ` +
          `(${mb(ATTACKERS * forged.length)} sent): RSS -> ${mb(after.rss)} (+${mb(after.rss - handshakes.rss)}, ` +
          `heap +${mb(after.heapUsed - handshakes.heapUsed)}, array buffers +${mb(after.arrayBuffers - handshakes.arrayBuffers)}); ` +
          `whole attack +${mb(growth)}; handshakes in progress ${after.stats.handshakes}; ${Math.round(performance.now() - started)} ms`,
      );
      expect(after.stats.accepted).toBe(ATTACKERS);
      expect(after.stats.handshakes).toBe(ATTACKERS);
      expect(after.stats.datagrams).toBeGreaterThanOrEqual(3 * ATTACKERS);
      expect(growth).toBeLessThan(20 * MB);
      expect(performance.now() - started).toBeLessThan(TEST_DEADLINE_MS);
    },
    90_000,
  );
});
