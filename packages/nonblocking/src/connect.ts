import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ConnectionRefusedError, DtlsConnection, HandshakeTimeoutError, NoReplyError, type ClientOptions, type DtlsError } from '@dtls-kit/core';
import { channels, traceDatagram } from './diagnostics.js';
import { keylogWriter } from './keylog.js';
import { literalLookup } from './literal-lookup.js';
import { sentAtOnce } from './sent-at-once.js';
import { checkOptionPlaces } from './option-places.js';
import { DEFAULTS, engineOptions, nonNegativeInt, positiveInt, type ConnectOptions } from './options.js';
import { DtlsSocket, type EstablishedDtlsSocket } from './socket.js';
import { TimerQueue } from './timer-queue.js';

/** Every client of this process shares one timer queue (one Node timer). */
let clientTimers: TimerQueue | undefined;
const now = (): number => performance.now();

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/** One address the host name resolved to, and the socket type that reaches it. */
interface Remote {
  readonly address: string;
  readonly type: 'udp4' | 'udp6';
}

/**
 * Every address of `host`, in the resolver's order (an IP address is its own only address: given
 * at once, not through a promise, so that a connect() to an address waits on nothing before its socket).
 */
function resolveHost(host: string, type: 'udp4' | 'udp6' | undefined): Remote[] | Promise<Remote[]> {
  const family = isIP(host);
  if (family !== 0) return [{ address: host, type: type ?? (family === 6 ? 'udp6' : 'udp4') }];
  return lookup(host, { all: true, family: type === 'udp6' ? 6 : type === 'udp4' ? 4 : 0 }).then((found) =>
    found.map((f) => ({ address: f.address, type: type ?? (f.family === 6 ? 'udp6' : 'udp4') })),
  );
}

/** node:dgram's 'error' for an ICMP port unreachable on a connected socket (`recvmsg ECONNREFUSED`). */
function isRefused(error: Error): boolean {
  return 'code' in error && error.code === 'ECONNREFUSED';
}

/** What the runtime settings of one connect() call are, for each address it tries. */
interface AttemptSettings {
  readonly port: number;
  readonly handshakeTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxBufferedBytes: number;
  readonly keylog: ((line: string) => void) | undefined;
  readonly localAddress: string | undefined;
  readonly localPort: number | undefined;
  readonly signal: AbortSignal | undefined;
}

/** An attempt either connects, or learns that nothing listens at that address (and may try the next). */
type Attempt = { readonly socket: EstablishedDtlsSocket } | { readonly refused: ConnectionRefusedError; readonly heard: boolean };

/**
 * Connects to a DTLS server (node:tls connect): resolves with the socket once the handshake
 * is done; rejects with the DtlsError that ended it (its `alert` names the alert, e.g.
 * unknown_psk_identity), or with the signal's reason when `signal` aborts first.
 *
 * When no server is there, it says so instead of waiting for a handshake deadline that can only
 * end in a timeout: an ICMP port unreachable rejects at once with a ConnectionRefusedError
 * (`ECONNREFUSED`), and silence until handshakeTimeoutMs rejects with a NoReplyError
 * (`ETIMEDOUT`). A host name that resolves to several addresses (`localhost`: ::1 and
 * 127.0.0.1) is tried address after address while each refuses, as node:net does.
 *
 * `servername` defaults to `host` (sent as server_name unless it is an IP address, and the
 * name a certificate is checked against).
 *
 * An option connect() does not take rejects with a TypeError that says where it belongs (a server
 * option, or one of `x509Client()`/`pskClient()` such as `ca`).
 */
export async function connect(options: ConnectOptions): Promise<EstablishedDtlsSocket> {
  // A misplaced option (a server's, or `ca` next to `x509`) rejects before anything is sent.
  checkOptionPlaces(options, 'client');
  const signal = options.signal;
  signal?.throwIfAborted();
  const port = options.port;
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new RangeError(`port must be 1..65535 (got ${String(port)})`);
  const host = options.host ?? 'localhost';
  const handshakeTimeoutMs = positiveInt('handshakeTimeoutMs', options.handshakeTimeoutMs, DEFAULTS.handshakeTimeoutMs);
  const idleTimeoutMs = nonNegativeInt('idleTimeoutMs', options.idleTimeoutMs, DEFAULTS.clientIdleTimeoutMs);
  const maxBufferedBytes = nonNegativeInt('maxBufferedBytes', options.maxBufferedBytes, DEFAULTS.maxBufferedBytes);
  const keylog = keylogWriter(options.keylog);
  const servername = options.servername ?? host;
  // engineOptions() made this object for this call alone: servername goes into it, no second copy.
  const config: ClientOptions = engineOptions(options, handshakeTimeoutMs);
  config.servername = servername === '' ? undefined : servername;
  // Bad options throw here, before any socket exists.
  let connection: DtlsConnection | undefined = DtlsConnection.client(config);

  const resolved = resolveHost(host, options.type);
  const remotes = Array.isArray(resolved) ? resolved : await resolved;
  const settings: AttemptSettings = {
    port,
    handshakeTimeoutMs,
    idleTimeoutMs,
    maxBufferedBytes,
    keylog,
    localAddress: options.localAddress,
    localPort: options.localPort,
    signal,
  };
  for (let i = 0; ; i++) {
    signal?.throwIfAborted();
    const remote = remotes[i];
    if (remote === undefined) throw new Error(`${host} resolved to no address`);
    // A fresh engine per address: a handshake belongs to one peer.
    const outcome = await attempt(connection ?? DtlsConnection.client(config), remote, settings);
    connection = undefined;
    if ('socket' in outcome) return outcome.socket;
    // The next address only while nobody answered here: a server that answered and then went
    // away was the right address.
    if (outcome.heard || i + 1 >= remotes.length) throw outcome.refused;
  }
}

/** Binds and connects a UDP socket to one address (connect(2): so that ICMP errors reach it). */
async function openSocket(remote: Remote, settings: AttemptSettings): Promise<dgram.Socket> {
  // literalLookup: bind and connect to an address without a dns.lookup tick each.
  const udp = dgram.createSocket({ type: remote.type, lookup: literalLookup });
  try {
    await new Promise<void>((resolve, reject) => {
      const fail = (error: Error): void => reject(error);
      udp.once('error', fail);
      const connectUdp = (): void =>
        udp.connect(settings.port, remote.address, () => {
          udp.off('error', fail);
          resolve();
        });
      if (settings.localAddress !== undefined || settings.localPort !== undefined) udp.bind(settings.localPort ?? 0, settings.localAddress, connectUdp);
      else connectUdp();
    });
    settings.signal?.throwIfAborted();
  } catch (error) {
    udp.close();
    throw error;
  }
  return udp;
}

/** One handshake with one address. */
async function attempt(connection: DtlsConnection, remote: Remote, settings: AttemptSettings): Promise<Attempt> {
  const { port, signal, keylog } = settings;
  const udp = await openSocket(remote, settings);

  return new Promise<Attempt>((resolve, reject) => {
    let settled = false;
    /** Anything at all came back from the server's address (the connected socket takes nothing else). */
    let heard = false;
    const onAbort = (): void => {
      if (settled || signal === undefined) return;
      settled = true;
      socket.destroy();
      reject(abortReason(signal));
    };
    const settle = (): void => {
      settled = true;
      signal?.removeEventListener('abort', onAbort);
    };
    const socket: DtlsSocket = new DtlsSocket({
      connection,
      remoteAddress: remote.address,
      remotePort: port,
      // A client's settings are its own: one shared object per connection.
      shared: {
        timers: (clientTimers ??= new TimerQueue(now)),
        idleTimeoutMs: settings.idleTimeoutMs,
        maxBufferedBytes: settings.maxBufferedBytes,
        now,
        transport: {
          send: (d) => {
            traceDatagram('out', 'client', socket, remote.address, port, d);
            try {
              // No callback: node:dgram then spends no process.nextTick per datagram, and a failed send
              // is lost silently, as UDP may lose any datagram. The record layer never writes a
              // sealed record's bytes again, so `d` needs no callback to tell when it is free.
              udp.send(d);
            } catch {
              // closed under us
              return false;
            }
            return sentAtOnce(udp);
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
          // The client's timers never hold the process (TimerQueue unrefs its one timer): its UDP socket does.
          setRef: (ref) => {
            try {
              if (ref) udp.ref();
              else udp.unref();
            } catch {
              // closed already: nothing holds the process
            }
          },
        },
        hooks: {
          onEstablished: (s) => {
            if (settled) return;
            settle();
            resolve({ socket: s });
          },
          onKeylog: keylog ? (line) => keylog(line) : undefined,
          onEnd: (_s, error: DtlsError | undefined) => {
            if (settled) return;
            settle();
            // Silence until the deadline is not a failed handshake but an absent server: say so,
            // rather than name a handshake_failure alert that nobody sent.
            if (error instanceof HandshakeTimeoutError && !heard) reject(new NoReplyError(remote.address, port, settings.handshakeTimeoutMs, error));
            else reject(error ?? new Error('the connection closed during the handshake'));
          },
        },
      },
    });
    // RFC 1122 4.1.3.3: UDP hands ICMP errors to the application; on a connected socket node:dgram
    // emits them as 'error' (port unreachable: `recvmsg ECONNREFUSED`), within milliseconds of
    // the ClientHello, long before any retransmission. During the handshake a refusal ends the
    // attempt (no alert: the peer's port is closed, there is nobody to tell). Afterwards ICMP
    // errors are left to UDP semantics: the idle timeout, or the application, decides.
    udp.on('error', (error) => {
      if (settled || !isRefused(error)) return;
      settle();
      socket.destroy();
      resolve({ refused: new ConnectionRefusedError(remote.address, port, error), heard });
    });
    udp.on('message', (msg, rinfo) => {
      heard = true;
      const datagram = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
      traceDatagram('in', 'client', socket, remote.address, port, datagram);
      // Handed over unless a trace subscriber was shown it (see the server's onMessage).
      socket.receive(datagram, now(), rinfo, !channels.datagram.hasSubscribers);
    });
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.start(now());
  });
}

