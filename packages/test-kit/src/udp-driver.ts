/**
 * Drives a sans-I/O endpoint over a real node:dgram socket, for interop tests against
 * OpenSSL/GnuTLS on 127.0.0.1.
 *
 * Time: `now` passed to the endpoint is `performance.now()` (monotonic ms since process
 * start, fractional) unless options.now says otherwise; the endpoint's nextTimeout()
 * must be in the same timebase. Date.now() is avoided on purpose: it can jump when the
 * system clock is adjusted, and a jump would fire or starve retransmission timers.
 *
 * One timer: the driver keeps a single setTimeout armed for the endpoint's earliest
 * deadline and re-arms it only when that deadline changes.
 */
import type { RemoteInfo, Socket } from 'node:dgram';
import type { SimEndpoint } from './endpoint.js';

export interface UdpRemote {
  /** A numeric address ('127.0.0.1'): datagrams are matched against it literally. */
  address: string;
  port: number;
}

export interface UdpDriverOptions {
  /** The clock handed to the endpoint (default: performance.now). */
  now?: () => number;
  /**
   * Called when the endpoint throws (from receive, handleTimeout, datagramsToSend or
   * nextTimeout). The driver stops either way; `stopped` resolves with the error.
   */
  onError?: (error: Error) => void;
}

export interface UdpDriverStats {
  /** Datagrams received from the remote and handed to the endpoint. */
  received: number;
  /** Datagrams handed to the socket. */
  sent: number;
  /** Datagrams from another address/port, ignored. */
  ignored: number;
  /** Sends the socket reported as failed (e.g. EMSGSIZE, ICMP port unreachable). */
  sendErrors: number;
  /** Times handleTimeout was called. */
  timeouts: number;
}

export interface UdpDriver {
  /** Collects output and re-arms the timer now (what onWake does, synchronously). */
  pump(): void;
  /** Detaches from the socket and clears the timer. Does not close the socket (the caller owns it). */
  stop(): void;
  /** Resolves when the driver stops: with the endpoint's error if one stopped it, else undefined. */
  readonly stopped: Promise<Error | undefined>;
  readonly stats: Readonly<UdpDriverStats>;
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/**
 * Starts pumping: incoming datagrams from `remote` go to `endpoint.receive`, everything
 * from `endpoint.datagramsToSend()` goes to `remote`, and the endpoint's timer fires
 * `handleTimeout`. Also sets `endpoint.onWake` so asynchronous work inside the endpoint
 * can ask to be pumped again.
 */
export function driveOverUdp(
  endpoint: SimEndpoint,
  socket: Socket,
  remote: UdpRemote,
  options: UdpDriverOptions = {},
): UdpDriver {
  const now = options.now ?? ((): number => performance.now());
  const stats: UdpDriverStats = { received: 0, sent: 0, ignored: 0, sendErrors: 0, timeouts: 0 };
  let timer: NodeJS.Timeout | undefined;
  let timerDeadline: number | undefined;
  let running = true;
  let wakeQueued = false;
  let resolveStopped: (error: Error | undefined) => void = () => {};
  const stopped = new Promise<Error | undefined>((resolve) => {
    resolveStopped = resolve;
  });

  const stop = (error?: Error): void => {
    if (!running) return;
    running = false;
    socket.off('message', onMessage);
    socket.off('close', onClose);
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (endpoint.onWake === wake) endpoint.onWake = undefined;
    if (error !== undefined) options.onError?.(error);
    resolveStopped(error);
  };

  // Any throw from the endpoint stops the driver rather than escaping into a socket or
  // timer callback, where it would crash the test process instead of failing one test.
  const guarded = (work: () => void): void => {
    if (!running) return;
    try {
      work();
      flush();
    } catch (error) {
      stop(toError(error));
    }
  };

  const flush = (): void => {
    for (const datagram of endpoint.datagramsToSend()) {
      stats.sent++;
      try {
        socket.send(datagram, remote.port, remote.address, (error) => {
          if (error) stats.sendErrors++;
        });
      } catch {
        // The socket was closed under us: nothing more can be sent.
        stats.sendErrors++;
      }
    }
    arm();
  };

  const arm = (): void => {
    const deadline = endpoint.nextTimeout();
    if (deadline === timerDeadline && (timer !== undefined || deadline === undefined)) return;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    timerDeadline = deadline;
    if (deadline === undefined) return;
    timer = setTimeout(onTimer, Math.max(0, deadline - now()));
  };

  const onTimer = (): void => {
    timer = undefined;
    const deadline = timerDeadline;
    timerDeadline = undefined;
    guarded(() => {
      // setTimeout may fire a little early (it rounds to whole ms); hand the endpoint a
      // time at least equal to its deadline so it does not re-arm the same timer.
      const t = Math.max(now(), deadline ?? 0);
      stats.timeouts++;
      endpoint.handleTimeout(t);
    });
  };

  function onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    if (rinfo.port !== remote.port || rinfo.address !== remote.address) {
      stats.ignored++;
      return;
    }
    stats.received++;
    const datagram = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
    guarded(() => endpoint.receive(datagram, now()));
  }

  function wake(): void {
    // Coalesce: several lookups finishing in the same tick cause one pump.
    if (wakeQueued || !running) return;
    wakeQueued = true;
    queueMicrotask(() => {
      wakeQueued = false;
      guarded(() => {});
    });
  }

  function onClose(): void {
    stop();
  }

  socket.on('message', onMessage);
  socket.on('close', onClose);
  endpoint.onWake = wake;
  // The endpoint may already hold output (a client's first flight).
  guarded(() => {});

  return {
    pump: () => guarded(() => {}),
    stop: () => stop(),
    stopped,
    stats,
  };
}
