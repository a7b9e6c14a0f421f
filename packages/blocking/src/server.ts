import { createSocket, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { isIPv6, type AddressInfo } from 'node:net';
import { AlertDescription, ServerEndpoint, type VerifiedClientHello } from '@dtls-kit/core';
import { Piscina } from 'piscina';
import { deserializeError } from './errors.js';
import { HostLink, moduleHref, workerFile } from './host.js';
import type { PlainDtlsOptions, ServerCredentials, WorkerResult, WorkerTask } from './protocol.js';
import { DEFAULT_RING_BYTES } from './ring.js';

export interface BlockingServerOptions {
  /** Module whose default export is `(conn: BlockingConnection, args) => void`, run in a worker per connection. */
  handler: URL | string;
  /** Plain data or a module (functions cannot cross threads): see ServerCredentials. */
  credentials: ServerCredentials;
  /** Engine options that are plain data (cipher suites, MTU, timers, ...). */
  options?: PlainDtlsOptions;
  /** Passed to the handler as its second argument (structured-cloned). */
  args?: unknown;
  /** Workers, i.e. connections served at once. Default 4. */
  maxThreads?: number;
  /** Verified connections that wait for a worker; past it new connections are refused. Default 16. */
  maxQueue?: number;
  /**
   * Connections (running or queued) from one IPv4 address at once; past it that address's new
   * connections are refused as a full pool's are. A cookie proves an address, not a peer: without
   * a bound below `maxThreads`, one host with many ports that passes the cookie exchange and then
   * stalls can hold every worker until its handshakes time out. Default `maxThreads + maxQueue`
   * (no bound of its own): a worker is held for a connection's whole life, so a bound also limits
   * how many devices behind one NAT are served at once — choose it for your peers.
   */
  maxConnectionsPerAddress?: number;
  /** Bytes per ring direction per connection. Default 64 KiB. */
  ringBytes?: number;
  /** Cookie secret rotation, ms. Default 60000. */
  cookieRotationMs?: number;
  /** Worker idle timeout (ms) before Piscina ends a spare worker. Default 5000. */
  idleTimeoutMs?: number;
}

/** A peer's transport address. */
export interface Remote {
  address: string;
  port: number;
}

/** Where a connection failed: the same names as @dtls-kit/nonblocking's 'connectionError'. */
export type ConnectionErrorStage = 'setup' | 'handshake' | 'handler' | 'worker';

/** Why a verified ClientHello was refused. */
export type RefusalReason = 'full' | 'maxConnectionsPerAddress';

export interface BlockingServerEvents {
  /** A verified connection got its task (it may wait in the queue for a worker). */
  connection: [remote: Remote];
  /** A verified connection was refused with a fatal internal_error alert. */
  refused: [remote: Remote, reason: RefusalReason];
  /**
   * A connection failed: its setup in the worker, its handshake, its handler (which threw; the
   * peer got a fatal internal_error alert), or the worker itself. The server goes on.
   */
  connectionError: [error: Error, stage: ConnectionErrorStage, remote: Remote];
  /** The UDP socket failed. */
  socketError: [error: Error];
  /** The server is closed: every connection ended, the workers and the socket too. */
  close: [];
}

export interface BlockingServerStats {
  /** Connections running in a worker. */
  active: number;
  /** Verified connections waiting for a worker. */
  queued: number;
  /** Connections served to the end (any outcome). */
  completed: number;
  /** Connections refused because the pool and its queue were full, or their address was at maxConnectionsPerAddress. */
  refused: number;
  /** Handshakes that failed in a worker. */
  handshakeFailures: number;
  /** Handlers that threw. */
  handlerErrors: number;
  /** Inbound datagrams dropped because a connection's ring was full. */
  inboundDropped: number;
  /** Outbound datagrams dropped because a connection's ring was full. */
  outboundDropped: number;
}

interface Entry {
  link: HostLink;
  done: Promise<void>;
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value), { cause: value });
}

/** A fatal alert record in epoch 0 (plaintext), sequence copied from the ClientHello. */
function plainAlert(recordSeq: number, description: AlertDescription): Uint8Array {
  const b = new Uint8Array(15);
  b[0] = 21; // alert
  b[1] = 0xfe;
  b[2] = 0xfd; // DTLS 1.2
  // epoch 0 (bytes 3-4), 48-bit sequence number (bytes 5-10)
  let s = recordSeq;
  for (let i = 10; i >= 5; i--) {
    b[i] = s % 256;
    s = Math.floor(s / 256);
  }
  b[12] = 2; // length
  b[13] = 2; // fatal
  b[14] = description;
  return b;
}

/**
 * A DTLS server whose connections run as synchronous handlers in worker threads. The main thread
 * keeps the UDP socket and the stateless cookie check; each verified connection gets its own
 * shared-memory link and one worker for as long as it lives.
 *
 * Events (typed: BlockingServerEvents): 'connection' (remote), 'refused' (remote, reason),
 * 'connectionError' (error, stage, remote), 'socketError' (error), 'close'.
 */
export class BlockingServer extends EventEmitter<BlockingServerEvents> {
  private readonly socket: Socket;
  private readonly endpoint: ServerEndpoint;
  private readonly pool: Piscina;
  private readonly conns = new Map<string, Entry>();
  private readonly maxThreads: number;
  private readonly maxQueue: number;
  private readonly maxPerAddress: number;
  /** Connections (running or queued) per peer address. */
  private readonly perAddress = new Map<string, number>();
  private readonly ringBytes: number;
  private readonly handler: string;
  private readonly credentials: WorkerTask['credentials'];
  private closing: Promise<void> | undefined;
  private counters = { completed: 0, refused: 0, handshakeFailures: 0, handlerErrors: 0, inboundDropped: 0, outboundDropped: 0 };

  constructor(private readonly opts: BlockingServerOptions) {
    super();
    this.maxThreads = opts.maxThreads ?? 4;
    this.maxQueue = opts.maxQueue ?? 16;
    if (!Number.isInteger(this.maxThreads) || this.maxThreads < 1) throw new RangeError('maxThreads must be an integer >= 1');
    if (!Number.isInteger(this.maxQueue) || this.maxQueue < 0) throw new RangeError('maxQueue must be an integer >= 0');
    this.maxPerAddress = opts.maxConnectionsPerAddress ?? this.maxThreads + this.maxQueue;
    if (!Number.isInteger(this.maxPerAddress) || this.maxPerAddress < 1) throw new RangeError('maxConnectionsPerAddress must be an integer >= 1');
    this.ringBytes = opts.ringBytes ?? DEFAULT_RING_BYTES;
    this.handler = moduleHref(opts.handler);
    const c = opts.credentials;
    this.credentials = 'module' in c ? { module: moduleHref(c.module), export: c.export, args: c.args } : { psk: c.psk };
    // The main thread only checks cookies: the credentials it is given here are never used.
    this.endpoint = new ServerEndpoint({
      psk: { type: 'psk', identityHint: undefined, lookup: () => undefined },
      cookieRotationMs: opts.cookieRotationMs,
    });
    this.pool = new Piscina({
      filename: workerFile(),
      minThreads: 0,
      maxThreads: this.maxThreads,
      idleTimeout: opts.idleTimeoutMs ?? 5000,
    });
    this.socket = createSocket({ type: 'udp4' });
  }

  /** Binds the socket; resolves with its address. */
  async listen(port = 0, host = '127.0.0.1'): Promise<AddressInfo> {
    if (isIPv6(host)) throw new Error('IPv6 is not supported yet by @dtls-kit/blocking');
    await new Promise<void>((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.bind(port, host, () => {
        this.socket.off('error', reject);
        resolve();
      });
    });
    this.socket.on('message', (msg, rinfo) => this.onDatagram(msg, rinfo.address, rinfo.port));
    this.socket.on('error', (err) => this.emit('socketError', err));
    return this.socket.address();
  }

  address(): AddressInfo {
    return this.socket.address();
  }

  get stats(): BlockingServerStats {
    let active = 0;
    let inDropped = 0;
    let outDropped = 0;
    for (const e of this.conns.values()) {
      if (e.link.started) active++;
      inDropped += e.link.inDropped;
      outDropped += e.link.outDropped;
    }
    return {
      ...this.counters,
      active,
      queued: this.conns.size - active,
      inboundDropped: this.counters.inboundDropped + inDropped,
      outboundDropped: this.counters.outboundDropped + outDropped,
    };
  }

  private onDatagram(msg: Buffer, address: string, port: number): void {
    if (this.closing) return;
    const key = `${address}:${port}`;
    const data = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
    const entry = this.conns.get(key);
    if (entry) {
      entry.link.deliver(data);
      return;
    }
    const result = this.endpoint.verify(data, key, performance.now());
    if (result.type === 'drop') return;
    if (result.type === 'reply') {
      this.socket.send(result.datagram, port, address);
      return;
    }
    const reason: RefusalReason | undefined =
      this.conns.size >= this.maxThreads + this.maxQueue
        ? 'full' // every worker busy and the queue full
        : (this.perAddress.get(address) ?? 0) >= this.maxPerAddress
          ? 'maxConnectionsPerAddress' // this address holds its share already
          : undefined;
    if (reason !== undefined) {
      // Refused with a fatal alert (RFC 5246 7.2.2), nothing kept.
      this.counters.refused++;
      this.socket.send(plainAlert(result.hello.recordSeq, AlertDescription.internal_error), port, address);
      this.emit('refused', { address, port }, reason);
      return;
    }
    this.start(key, address, port, result.hello);
  }

  private start(key: string, address: string, port: number, hello: VerifiedClientHello): void {
    const link = new HostLink(this.ringBytes);
    link.watch((d) => this.socket.send(d, port, address));
    const task: WorkerTask = {
      role: 'server',
      sab: link.sab,
      handler: this.handler,
      credentials: this.credentials,
      options: this.opts.options ?? {},
      args: this.opts.args,
      remoteAddress: address,
      remotePort: port,
      hello,
    };
    // The events are emitted outside this promise chain: a listener that throws must not turn
    // into an unhandled rejection of `done` (which close() awaits).
    const report = (error: Error, stage: ConnectionErrorStage): void => {
      process.nextTick(() => this.emit('connectionError', error, stage, { address, port }));
    };
    const done = (this.pool.run(task) as Promise<WorkerResult>)
      .then(
        (r) => {
          if (r.ok) return;
          if (r.stage === 'handler') this.counters.handlerErrors++;
          else this.counters.handshakeFailures++;
          report(deserializeError(r.error), r.stage);
        },
        (err: unknown) => {
          this.counters.handlerErrors++;
          report(asError(err), 'worker');
        },
      )
      .finally(() => {
        link.finish();
        this.counters.completed++;
        this.counters.inboundDropped += link.inDropped;
        this.counters.outboundDropped += link.outDropped;
        this.conns.delete(key);
        const n = (this.perAddress.get(address) ?? 1) - 1;
        if (n > 0) this.perAddress.set(address, n);
        else this.perAddress.delete(address);
      });
    this.conns.set(key, { link, done });
    this.perAddress.set(address, (this.perAddress.get(address) ?? 0) + 1);
    this.emit('connection', { address, port });
  }

  /** Stops accepting, asks every open connection to close (its recv() returns null), then ends the workers. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const entries = [...this.conns.values()];
      for (const e of entries) e.link.stop();
      // Connections still queued have no worker yet: they run, see STOP and end at once.
      await Promise.all(entries.map((e) => e.done));
      await new Promise<void>((resolve) => this.socket.close(() => resolve()));
      await this.pool.destroy();
      this.emit('close');
    })();
    return this.closing;
  }
}

export function createBlockingServer(options: BlockingServerOptions): BlockingServer {
  return new BlockingServer(options);
}
