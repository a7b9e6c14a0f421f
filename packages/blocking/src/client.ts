import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { AlertDescription, ConnectionRefusedError, DEFAULT_HANDSHAKE_TIMEOUT_MS, DtlsError, NoReplyError } from '@dtls-kit/core';
import { Piscina } from 'piscina';
import { deserializeError } from './errors.js';
import { HostLink, moduleHref, nonNegativeInt, workerFile } from './host.js';
import { checkClientOptionPlaces, checkPoolOptionPlaces, clientEngineOptions } from './option-places.js';
import type { ClientCredentials, PlainClientOptions, WorkerResult, WorkerTask } from './protocol.js';
import { DEFAULT_RING_BYTES } from './ring.js';

/**
 * runBlockingClient()'s options: the engine's options that are plain data, top-level with the
 * names and meanings of @dtls-kit/nonblocking's connect() (cipherSuites, mtu, retransmit,
 * handshakeTimeoutMs, servername, ALPNProtocols, connectionId, ...), and this runtime's own. An
 * option it does not take is a TypeError (a rejection) that says where it belongs.
 */
export interface BlockingClientOptions extends PlainClientOptions {
  /** Module whose default export is `(conn: BlockingConnection, args) => result`; runs in a worker once connected. */
  handler: URL | string;
  /** The server's host name or address. Default 'localhost', as @dtls-kit/nonblocking's connect(). */
  host?: string;
  port: number;
  /** Plain data or a module (functions cannot cross threads): see ClientCredentials. */
  credentials: ClientCredentials;
  /** Passed to the handler as its second argument (structured-cloned). */
  args?: unknown;
  /**
   * Close the connection when nothing authenticated (application data, an alert) has arrived from
   * the server for this many ms (close_notify; the handler's recv() returns null and the connection
   * emits 'timeout'); 0 turns it off. As @dtls-kit/nonblocking's connect(). Default 0.
   */
  idleTimeoutMs?: number;
  /** Bytes per ring direction. Default 64 KiB. */
  ringBytes?: number;
  /** Run in this pool (filename must be workerFile()) instead of a one-worker pool made for this call. */
  pool?: Piscina;
}

/** node:dgram's 'error' for an ICMP port unreachable on a connected socket (`recvmsg ECONNREFUSED`). */
function isRefused(error: Error): boolean {
  return 'code' in error && error.code === 'ECONNREFUSED';
}

/** createBlockingClientPool()'s options. */
export interface BlockingClientPoolOptions {
  /** Connections run at once (one per worker). Default 4. */
  maxThreads?: number;
  /** How long a spare worker stays idle (ms) before Piscina ends it. Default 5000. */
  workerIdleTimeoutMs?: number;
}

/**
 * A pool of client workers to share between runBlockingClient calls (`pool` option): one
 * connection per worker at a time, the rest queue. End it with `await pool.destroy()`.
 */
export function createBlockingClientPool(options: BlockingClientPoolOptions = {}): Piscina {
  checkPoolOptionPlaces(options);
  return new Piscina({
    filename: workerFile(),
    minThreads: 0,
    maxThreads: options.maxThreads ?? 4,
    idleTimeout: nonNegativeInt('workerIdleTimeoutMs', options.workerIdleTimeoutMs, 5000),
  });
}

/**
 * Connects (the handshake runs in a worker) and runs the handler there with the connection;
 * resolves with what the handler returned (structured-cloned). Rejects with the handshake's
 * error (a DtlsError, e.g. when the server refused or the PSK is unknown) or the handler's.
 * When no server is there it says so: ConnectionRefusedError (`ECONNREFUSED`) as soon as ICMP
 * port unreachable comes back, NoReplyError (`ETIMEDOUT`) when nothing at all came back within
 * the handshake deadline (`handshakeTimeoutMs`, default 60 000).
 * The socket stays on the main thread; the connection is closed (close_notify) when the handler returns.
 */
export async function runBlockingClient<T = unknown>(opts: BlockingClientOptions): Promise<T> {
  // Checked before anything is opened.
  checkClientOptionPlaces(opts);
  const host = opts.host ?? 'localhost';
  // As connect() of @dtls-kit/nonblocking (and node:tls): servername defaults to host, sent as
  // server_name unless it is an IP address (RFC 6066 3) and checked against the server's
  // certificate; '' sends none and checks the chain only.
  const servername = opts.servername ?? host;
  const idleTimeoutMs = nonNegativeInt('idleTimeoutMs', opts.idleTimeoutMs, 0);
  const socket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
  const pool = opts.pool ?? new Piscina({ filename: workerFile(), minThreads: 1, maxThreads: 1 });
  const link = new HostLink(opts.ringBytes ?? DEFAULT_RING_BYTES);
  const handshakeTimeoutMs = opts.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  /** Anything at all came back from the server's address (the connected socket takes nothing else). */
  let heard = false;
  let refused: ConnectionRefusedError | undefined;
  try {
    // Connected (connect(2)): datagrams from the server only, and ICMP errors reach the socket.
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(opts.port, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    const remote = socket.remoteAddress();
    // RFC 1122 4.1.3.3: UDP hands ICMP errors to the application; node:dgram emits them as 'error'.
    // Port unreachable during the handshake means no server: stop the worker's handshake (its
    // retransmissions cannot succeed) and reject with the reason. After the handshake, and for
    // other ICMP errors, UDP semantics: the handler's recv() timeouts decide.
    socket.on('error', (error) => {
      if (refused !== undefined || link.established || !isRefused(error)) return;
      refused = new ConnectionRefusedError(remote.address, remote.port, error);
      link.stop();
    });
    socket.on('message', (msg) => {
      heard = true;
      link.deliver(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength));
    });
    link.watch((d) => socket.send(d));
    const c = opts.credentials;
    const task: WorkerTask = {
      role: 'client',
      sab: link.sab,
      handler: moduleHref(opts.handler),
      credentials: 'module' in c ? { module: moduleHref(c.module), export: c.export, args: c.args } : { pskClient: { identity: c.psk.identity, key: c.psk.key } },
      options: { ...clientEngineOptions(opts), servername: servername === '' ? undefined : servername, handshakeTimeoutMs },
      args: opts.args,
      remoteAddress: remote.address,
      remotePort: opts.port,
      idleTimeoutMs,
    };
    const result = (await pool.run(task)) as WorkerResult;
    link.finish();
    if (!result.ok) {
      const err = deserializeError(result.error);
      if (result.stage === 'handshake') {
        if (refused !== undefined) throw refused;
        // Without a datagram from the server a client handshake can only end at its deadline:
        // that is an absent server, not a handshake_failure alert (none was sent or received).
        if (!heard && err instanceof DtlsError && err.alert === AlertDescription.handshake_failure && !err.fromPeer) {
          throw new NoReplyError(remote.address, remote.port, handshakeTimeoutMs, err);
        }
      }
      err.message = `${result.stage === 'handshake' ? 'DTLS handshake failed' : result.stage === 'setup' ? 'client setup failed' : 'handler failed'}: ${err.message}`;
      throw err;
    }
    return result.value as T;
  } finally {
    link.finish();
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    if (!opts.pool) await pool.destroy();
  }
}
