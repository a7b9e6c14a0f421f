import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { DtlsConnection, type ClientOptions, type DtlsError } from '@dtls-kit/core';
import { traceDatagram } from './diagnostics.js';
import { keylogWriter } from './keylog.js';
import { DEFAULTS, engineOptions, nonNegativeInt, positiveInt, type ConnectOptions } from './options.js';
import { DtlsSocket } from './socket.js';
import { TimerQueue } from './timer-queue.js';

/** Every client of this process shares one timer queue (one Node timer). */
let clientTimers: TimerQueue | undefined;
const now = (): number => performance.now();

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

async function resolveHost(host: string, type: 'udp4' | 'udp6' | undefined): Promise<{ address: string; type: 'udp4' | 'udp6' }> {
  const family = isIP(host);
  if (family !== 0) return { address: host, type: type ?? (family === 6 ? 'udp6' : 'udp4') };
  const found = await lookup(host, { family: type === 'udp6' ? 6 : type === 'udp4' ? 4 : 0 });
  return { address: found.address, type: type ?? (found.family === 6 ? 'udp6' : 'udp4') };
}

/**
 * Connects to a DTLS server (node:tls connect): resolves with the socket once the handshake
 * is done; rejects with the DtlsError that ended it (its `alert` names the alert, e.g.
 * unknown_psk_identity), or with the signal's reason when `signal` aborts first.
 *
 * `servername` defaults to `host` (sent as server_name unless it is an IP address, and the
 * name a certificate is checked against).
 */
export async function connect(options: ConnectOptions): Promise<DtlsSocket> {
  const signal = options.signal;
  signal?.throwIfAborted();
  const port = options.port;
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new RangeError(`port must be 1..65535 (got ${String(port)})`);
  const host = options.host ?? 'localhost';
  const handshakeTimeoutMs = positiveInt('handshakeTimeoutMs', options.handshakeTimeoutMs, DEFAULTS.handshakeTimeoutMs);
  const idleTimeoutMs = nonNegativeInt('idleTimeoutMs', options.idleTimeoutMs, DEFAULTS.clientIdleTimeoutMs);
  const maxBufferedBytes = nonNegativeInt('maxBufferedBytes', options.maxBufferedBytes, DEFAULTS.maxBufferedBytes);
  const keylog = keylogWriter(options.keylog);
  const clientOptions: ClientOptions = engineOptions(options, handshakeTimeoutMs);
  const servername = options.servername ?? host;
  // Bad options throw here, before any socket exists.
  const connection = DtlsConnection.client({ ...clientOptions, servername: servername === '' ? undefined : servername });

  const remote = await resolveHost(host, options.type);
  signal?.throwIfAborted();
  const udp = dgram.createSocket({ type: remote.type });
  // ICMP errors (port unreachable, ...) surface here: the handshake's retransmissions and
  // deadline decide, as for any lost datagram.
  udp.on('error', () => {});
  try {
    await new Promise<void>((resolve, reject) => {
      const fail = (error: Error): void => reject(error);
      udp.once('error', fail);
      const connectUdp = (): void =>
        udp.connect(port, remote.address, () => {
          udp.off('error', fail);
          resolve();
        });
      if (options.localAddress !== undefined || options.localPort !== undefined) udp.bind(options.localPort ?? 0, options.localAddress, connectUdp);
      else connectUdp();
    });
    signal?.throwIfAborted();
  } catch (error) {
    udp.close();
    throw error;
  }

  return new Promise<DtlsSocket>((resolve, reject) => {
    let settled = false;
    const onAbort = (): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      reject(abortReason(signal as AbortSignal));
    };
    const settle = (): void => {
      settled = true;
      signal?.removeEventListener('abort', onAbort);
    };
    const socket: DtlsSocket = new DtlsSocket({
      connection,
      role: 'client',
      remoteAddress: remote.address,
      remotePort: port,
      timers: (clientTimers ??= new TimerQueue(now)),
      idleTimeoutMs,
      maxBufferedBytes,
      now,
      transport: {
        send: (d) => {
          traceDatagram('out', 'client', socket, remote.address, port, d);
          try {
            udp.send(d, noop);
          } catch {
            // closed under us
          }
        },
        release: (done) => {
          try {
            udp.close(done);
          } catch {
            process.nextTick(done);
          }
        },
        address: () => {
          try {
            return udp.address();
          } catch {
            return undefined;
          }
        },
      },
      hooks: {
        onEstablished: (s) => {
          if (settled) return;
          settle();
          resolve(s);
        },
        onKeylog: keylog ? (line) => keylog(line) : undefined,
        onEnd: (_s, error: DtlsError | undefined) => {
          if (settled) return;
          settle();
          reject(error ?? new Error('the connection closed during the handshake'));
        },
      },
    });
    udp.on('message', (msg) => {
      const datagram = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
      traceDatagram('in', 'client', socket, remote.address, port, datagram);
      socket.receive(datagram, now());
    });
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.start(now());
  });
}

function noop(): void {}
