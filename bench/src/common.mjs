// Shared by every bench peer (server and client processes): the workloads, their wire protocol
// and the way a peer reports to the runner. Plain .mjs so each peer starts without a build.
//
// Wire protocol (the same for every implementation, the C program included):
//  - every message from the client is MESSAGE_SIZE bytes; its first byte says the workload:
//    'T' one-way throughput: the server counts and, every ACK_EVERY messages, answers with a
//        4-byte big-endian cumulative count (the client keeps at most WINDOW messages unacked);
//    'P' ping-pong: the server echoes the message.
//  - a handshake run just connects, handshakes and closes (close_notify), one after the other.
import { parseArgs } from 'node:util';

export const MESSAGE_SIZE = 1200;
/**
 * dtls-kit's `mtu` in the benchmarks: one message is one record in one datagram (RFC 6347 4.1.1),
 * and at the default MTU (1200) a 1200-byte message does not fit (maxPayload is 1163 with AES-GCM:
 * send() throws). 1472 is Ethernet's 1500 less the IPv4 and UDP headers: 1200-byte records in one
 * datagram each, as the other implementations send them.
 */
export const DTLS_KIT_MTU = 1472;
export const ACK_EVERY = 16;
export const WINDOW = 64;
export const PSK_IDENTITY = 'Client_identity';
export const PSK_KEY_HEX = '000102030405060708090a0b0c0d0e0f';
export const SUITES = {
  psk: 'PSK-AES128-GCM-SHA256',
  // The suite of the native (sodium-native) provider's rows: libsodium has ChaCha20-Poly1305, not AES-128-GCM.
  'psk-chacha': 'PSK-CHACHA20-POLY1305',
  ecdsa: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  // DTLS 1.2 PSK with an ECDHE key exchange (RFC 5489 / 8442): what a DTLS 1.3 PSK handshake
  // (psk_dhe_ke, an X25519 key share) does, in 1.2.
  'psk-ecdhe': 'ECDHE-PSK-AES128-GCM-SHA256',
  // DTLS 1.3 (RFC 9147): one TLS 1.3 suite (RFC 8446 B.4); PSK with psk_dhe_ke, or a P-256 certificate.
  psk13: 'TLS_AES_128_GCM_SHA256',
  ecdsa13: 'TLS_AES_128_GCM_SHA256',
};
/** The suites (keys of SUITES) that run DTLS 1.3 only (minVersion and maxVersion 'DTLSv1.3'). */
export const DTLS13_SUITES = new Set(['psk13', 'ecdsa13']);
/** A stalled exchange (a datagram lost on loopback) is noticed after this. */
const STALL_MS = 300;

export function options() {
  const { values } = parseArgs({
    options: {
      role: { type: 'string' },
      workload: { type: 'string', default: 'throughput' },
      suite: { type: 'string', default: 'psk' },
      port: { type: 'string', default: '0' },
      count: { type: 'string', default: '1000' },
      warmup: { type: 'string', default: '0' },
      seconds: { type: 'string', default: '5' },
      certs: { type: 'string', default: '' },
      provider: { type: 'string', default: 'node' },
      connections: { type: 'string', default: '0' },
      concurrency: { type: 'string', default: '32' },
      workers: { type: 'string', default: '1' },
      // The blocking server's `handshakes` option: 'auto' (its default: left out), 'worker' or 'main'.
      handshakes: { type: 'string', default: 'auto' },
      'local-address': { type: 'string', default: '' },
      sessions: { type: 'string', default: 'off' },
      // A server behind nginx (peer-lb.mjs): the balancer's address, trusted for PROXY v2 headers.
      'proxy-from': { type: 'string', default: '' },
    },
    strict: true,
  });
  return {
    role: values.role,
    workload: values.workload,
    suite: values.suite,
    port: Number(values.port),
    count: Number(values.count),
    warmup: Number(values.warmup),
    seconds: Number(values.seconds),
    certs: values.certs,
    provider: values.provider,
    connections: Number(values.connections),
    sessions: values.sessions === 'on',
    concurrency: Number(values.concurrency),
    workers: Number(values.workers),
    handshakes: values.handshakes,
    /** A client's local address (e.g. 127.0.0.7): one address has only ~28,000 ephemeral ports. */
    localAddress: values['local-address'] || undefined,
    proxyFrom: values['proxy-from'] || undefined,
  };
}

/** A server tells the runner it listens: `READY <port>`. */
export function ready(port) {
  process.stdout.write(`READY ${port}\n`);
}

/** A client (or a memory-measuring server) reports: `RESULT {json}`. */
export function result(value) {
  process.stdout.write(`RESULT ${JSON.stringify(value)}\n`);
}

/** Ends the process when the runner closes our stdin or signals us (so no peer outlives it). */
export function exitWithRunner(cleanup) {
  let done = false;
  const stop = async () => {
    if (done) return;
    done = true;
    const timer = setTimeout(() => process.exit(0), 2000);
    timer.unref();
    try {
      await cleanup?.();
    } finally {
      process.exit(0);
    }
  };
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

export function throughputMessage() {
  const m = Buffer.alloc(MESSAGE_SIZE, 0x61);
  m[0] = 0x54; // 'T'
  return m;
}

export function pingMessage() {
  const m = Buffer.alloc(MESSAGE_SIZE, 0x62);
  m[0] = 0x50; // 'P'
  return m;
}

/**
 * The server side of the message workloads, for any transport: returns a function to call with
 * each received message; `send` sends one message back to that peer.
 */
export function serverHandler(send) {
  let received = 0;
  // Made with the first ack: an idle connection of the memory rows holds no buffer of the bench's.
  let ack;
  return (message) => {
    if (message.length === 0) return;
    if (message[0] === 0x50) {
      send(message);
    } else if (message[0] === 0x54) {
      received++;
      if (received % ACK_EVERY === 0) {
        ack ??= Buffer.alloc(4);
        ack.writeUInt32BE(received >>> 0, 0);
        send(ack);
      }
    }
  };
}

/**
 * The client side of one-way throughput: `count` messages (rounded up to ACK_EVERY) with at most
 * WINDOW unacknowledged; stops sending after `seconds`. `transport`: { send(buf), onMessage(cb) }.
 * `state.total` is the server's cumulative count before this phase (a warm-up shares the
 * connection); it is updated. Resolves with { records, seconds, resent }, timed from the first
 * send to the last ack. A stall (a datagram lost) resends the unacknowledged window.
 */
export function throughputClient(transport, count, seconds, state = { total: 0 }) {
  const target = Math.ceil(count / ACK_EVERY) * ACK_EVERY;
  const message = throughputMessage();
  const base = state.total;
  return new Promise((resolve, reject) => {
    let acked = 0;
    let sent = 0;
    let resent = 0;
    const start = performance.now();
    let lastProgress = start;
    let lastAckAt = start;
    const deadline = start + seconds * 1000;
    let stopSending = false;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearInterval(watchdog);
      transport.onMessage(null);
      const elapsed = (lastAckAt - start) / 1000;
      if (acked === 0 || elapsed <= 0) reject(new Error('throughput: no message was acknowledged'));
      else resolve({ records: acked, seconds: elapsed, resent });
    };
    const pump = () => {
      while (!stopSending && sent < target && sent - acked < WINDOW) {
        transport.send(message);
        sent++;
      }
      if (acked >= target || (stopSending && acked >= sent)) finish();
    };
    transport.onMessage((m) => {
      if (m.length !== 4) return;
      const total = m.readUInt32BE(0);
      if (total > state.total) state.total = total;
      if (total - base > acked) {
        acked = total - base;
        lastProgress = lastAckAt = performance.now();
      }
      pump();
    });
    const watchdog = setInterval(() => {
      const t = performance.now();
      if (t > deadline) stopSending = true;
      if (t - lastProgress > STALL_MS) {
        // What was acknowledged counts; a server that has acknowledged nothing yet gets 5 s more.
        if (stopSending && (acked > 0 || t > deadline + 5000)) return finish();
        if (stopSending) return;
        resent += sent - acked;
        sent = acked; // the unacknowledged window goes again
        lastProgress = t;
      }
      pump();
    }, 50);
    pump();
  });
}

/** Ping-pong: one MESSAGE_SIZE message out, its echo back, `count` times (or `seconds`). */
export function pingPongClient(transport, count, seconds) {
  const message = pingMessage();
  return new Promise((resolve, reject) => {
    let done = 0;
    let resent = 0;
    let lastProgress = performance.now();
    let lastAt = lastProgress;
    const start = lastProgress;
    const deadline = start + seconds * 1000;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearInterval(watchdog);
      transport.onMessage(null);
      const elapsed = (lastAt - start) / 1000;
      if (done === 0 || elapsed <= 0) reject(new Error('ping-pong: no echo came back'));
      else resolve({ roundTrips: done, seconds: elapsed, resent });
    };
    transport.onMessage((m) => {
      if (m.length !== MESSAGE_SIZE) return;
      done++;
      lastProgress = lastAt = performance.now();
      if (done >= count || lastAt > deadline) finish();
      else transport.send(message);
    });
    const watchdog = setInterval(() => {
      const t = performance.now();
      if (t > deadline + (done > 0 ? 2000 : 5000)) return finish();
      if (t - lastProgress > STALL_MS) {
        resent++;
        lastProgress = t;
        transport.send(message);
      }
    }, 50);
    transport.send(message);
  });
}

/** Runs `once()` (one full handshake and close) up to `count` times or for `seconds`. */
/**
 * Handshakes before the measured ones: `count` of them, or as many as fit in `seconds`, whichever
 * ends first. A JavaScript peer's first thousands of handshakes run while V8 still compiles its
 * code optimised; the measured phase is the steady state (the cold rows show a fresh process).
 */
export async function warmUpHandshakes(once, count, seconds) {
  const end = performance.now() + seconds * 1000;
  for (let i = 0; i < count && performance.now() < end; i++) await once();
}

export async function sequentialHandshakes(once, count, seconds) {
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let done = 0;
  while (done < count && performance.now() < deadline) {
    await once();
    done++;
  }
  return { handshakes: done, seconds: (performance.now() - start) / 1000 };
}

/** `concurrency` loops of `once()` sharing `count` (and `seconds`). */
export async function concurrentHandshakes(once, count, seconds, concurrency) {
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let started = 0;
  let done = 0;
  const loop = async () => {
    while (started < count && performance.now() < deadline) {
      started++;
      await once();
      done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return { handshakes: done, seconds: (performance.now() - start) / 1000 };
}

/** Heap and RSS after a full GC (the process must run with --expose-gc). */
export async function settledMemory() {
  const gc = globalThis.gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 50));
  }
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, rss: m.rss, external: m.external, arrayBuffers: m.arrayBuffers };
}

export function fail(error) {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(1);
}
