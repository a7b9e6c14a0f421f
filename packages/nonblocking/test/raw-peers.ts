/**
 * Misbehaving peers built on the bare engine (@dtls-kit/core over node:dgram), so that they do not
 * depend on the runtime under test: one that sends a fatal alert after its handshake, and a flood
 * of peers that pass the cookie exchange and then stall.
 */
import dgram from 'node:dgram';
import { AlertDescription, DtlsConnection } from '@dtls-kit/core';
import { driveOverUdp } from '@dtls-kit/test-kit';
import { clientPsk, sleep, until } from './helpers.js';

/**
 * Completes a PSK handshake with the server at `host:port`, then ends the connection with a fatal
 * alert of its own (RFC 5246 7.2.2), as a peer whose application failed would.
 */
export async function handshakeThenFatalAlert(port: number, host = '127.0.0.1', alert = AlertDescription.internal_error): Promise<void> {
  const udp = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
  const conn = DtlsConnection.client({ psk: clientPsk() });
  conn.connect(performance.now());
  const driver = driveOverUdp(conn, udp, { address: host, port });
  try {
    await until(() => conn.state === 'established', 5000, 'the fatal-alert peer to finish its handshake');
    conn.abort(alert, 'the peer gives up');
    driver.pump(); // the alert leaves now
    await sleep(20);
  } finally {
    driver.stop();
    udp.close();
  }
}

const RETRY_MS = 400;
const RETRIES = 3;

export interface StallingFlood {
  /** Sockets whose ClientHello with a cookie was sent (the server answered the cookie exchange). */
  readonly cookiesPassed: () => number;
  /** ClientHellos sent (first and second of each exchange). */
  readonly sent: () => number;
  /** Stops sending and closes every socket. */
  stop(): Promise<void>;
}

export interface StallingFloodOptions {
  readonly port: number;
  readonly host: string;
  /** The attacker's one address: every socket is bound to it, each on its own port. */
  readonly localAddress: string;
  /** Sockets (ports). */
  readonly sockets: number;
  /** New exchanges started per second during the first round (one per socket), at most. */
  readonly perSecond: number;
  /**
   * After the first round, a fresh exchange on each port in turn at this rate until stopped (0:
   * none). The "~67 datagrams/s keep it locked" is 34 exchanges per second.
   */
  readonly thenPerSecond: number;
}

/**
 * The attack of issue 12, point 4: many ports of one address each pass the cookie exchange
 * (ClientHello, HelloVerifyRequest, ClientHello with the cookie) and then never answer the
 * server's flight, so each holds a handshake slot until the server gives up on it.
 */
export async function stallingFlood(o: StallingFloodOptions): Promise<StallingFlood> {
  let stopped = false;
  let passed = 0;
  let sent = 0;
  const sockets: dgram.Socket[] = [];
  for (let i = 0; i < o.sockets; i++) {
    const udp = dgram.createSocket('udp4');
    udp.on('error', () => {});
    sockets.push(udp);
  }
  await Promise.all(sockets.map((udp) => new Promise<void>((resolve) => udp.bind(0, o.localAddress, resolve))));

  const timers = new Set<NodeJS.Timeout>();
  const start = (udp: dgram.Socket): void => {
    if (stopped) return;
    // DTLS 1.2 exchanges: the flood runs in the test's process, on the server's event loop, and
    // 1 000 DTLS 1.3 exchanges a second (a key share and two PSK binders each on our side, the
    // server's answers too) saturated it on a loaded 2-core machine: the legitimate client waited
    // seconds behind the queued datagrams, which measured CPU, not the slot table under test.
    const conn = DtlsConnection.client({ psk: clientPsk(), maxVersion: 'DTLSv1.2' });
    conn.connect(performance.now());
    udp.removeAllListeners('message');
    // Like any client, the attacker sends a datagram again when its answer does not come (the
    // burst loses some on a busy loopback): 'hello' until the HelloVerifyRequest, 'cookie' until
    // the server's flight. Once that arrives the peer stalls: nothing more is ever answered.
    let phase: 'hello' | 'cookie' | 'stalled' = 'hello';
    let last = conn.datagramsToSend();
    let tries = 0;
    const retry = (): void => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (stopped || phase === 'stalled' || tries >= RETRIES) return;
        tries++;
        for (const d of last) send(udp, d);
        retry();
      }, RETRY_MS);
      timers.add(timer);
    };
    udp.on('message', (msg) => {
      if (stopped || phase === 'stalled') return;
      if (phase === 'cookie') {
        phase = 'stalled';
        return;
      }
      phase = 'cookie';
      tries = 0;
      conn.receive(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), performance.now());
      last = conn.datagramsToSend();
      if (last.length > 0) passed++;
      for (const d of last) send(udp, d);
    });
    for (const d of last) send(udp, d);
    retry();
  };
  const send = (udp: dgram.Socket, d: Uint8Array): void => {
    sent++;
    try {
      udp.send(d, o.port, o.host);
    } catch {
      // closed by stop()
    }
  };

  const tickMs = 10;
  let next = 0;
  let firstRoundDone: () => void = () => {};
  const firstRound = new Promise<void>((resolve) => (firstRoundDone = resolve));
  const loop = (async (): Promise<void> => {
    // Paced by the clock, not by the count of ticks: timers fire late under load.
    const t0 = performance.now();
    let roundEnd = 0;
    while (!stopped) {
      const elapsed = performance.now() - t0;
      const due =
        next < sockets.length
          ? Math.min(sockets.length, Math.ceil((elapsed * o.perSecond) / 1000))
          : sockets.length + Math.floor(((elapsed - roundEnd) * o.thenPerSecond) / 1000);
      while (next < due && !stopped) {
        const udp = sockets[next % sockets.length];
        next++;
        if (udp !== undefined) start(udp);
        if (next === sockets.length) {
          roundEnd = performance.now() - t0;
          firstRoundDone();
        }
      }
      if (next >= sockets.length && o.thenPerSecond === 0) return;
      await sleep(tickMs);
    }
  })();
  await Promise.race([firstRound, loop]);
  return {
    cookiesPassed: () => passed,
    sent: () => sent,
    stop: async () => {
      stopped = true;
      await loop;
      for (const t of timers) clearTimeout(t);
      await Promise.all(sockets.map((udp) => new Promise<void>((resolve) => udp.close(() => resolve()))));
    },
  };
}
