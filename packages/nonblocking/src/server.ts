import dgram, { type RemoteInfo } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { isIPv6, type AddressInfo } from 'node:net';
import { ServerEndpoint, type DtlsError } from '@dtls-kit/core';
import { channels, traceDatagram } from './diagnostics.js';
import { keylogWriter } from './keylog.js';
import { DEFAULTS, engineOptions, nonNegativeInt, positiveInt, type DtlsServerOptions } from './options.js';
import { randomFromKeyLog, routeKey, sniffClientHello } from './routing.js';
import { DtlsSocket } from './socket.js';
import { TimerQueue } from './timer-queue.js';

export interface DtlsServerEvents {
  /** The UDP socket is bound. */
  listening: [];
  /** A handshake finished: a new connection (node:tls 'secureConnection'). */
  connection: [socket: DtlsSocket];
  /** A handshake failed (the peer is not told anything more than the alert, if any). */
  clientError: [error: DtlsError, peer: { address: string; port: number }];
  /** A connection's SSLKEYLOGFILE line (with its newline), as node:tls 'keylog'. */
  keylog: [line: Buffer, socket: DtlsSocket];
  /** The UDP socket failed. */
  error: [error: Error];
  /** The server is closed: every connection ended, the socket too. */
  close: [];
}

/** Counters of a server, for monitoring and tests. */
export interface DtlsServerStats {
  /** Connections held now, handshakes in progress included. */
  readonly connections: number;
  /** Handshakes in progress now. */
  readonly handshakes: number;
  /** Datagrams received on the socket. */
  readonly datagrams: number;
  /** HelloVerifyRequests (and version alerts) sent by the stateless endpoint. */
  readonly helloVerifyRequests: number;
  /** ClientHellos whose cookie verified: connections created. */
  readonly accepted: number;
  /** Handshakes finished. */
  readonly established: number;
  /** ClientHellos dropped because maxConnections or maxHandshakes was reached. */
  readonly refused: number;
  /** Datagrams from peers without a connection that the endpoint dropped (not a ClientHello, ...). */
  readonly dropped: number;
  /** Connections that replaced an older one from the same address (RFC 6347 4.2.8). */
  readonly replaced: number;
}

type Counters = { -readonly [K in keyof DtlsServerStats]: DtlsServerStats[K] };

/**
 * A DTLS server on one UDP socket, in the manner of node:tls's Server: every peer shares the
 * socket; a datagram from a peer without a connection goes to the stateless cookie endpoint
 * (RFC 6347 4.2.1), which keeps no state until a cookie verifies; one timer queue serves
 * every connection.
 */
export class DtlsServer extends EventEmitter<DtlsServerEvents> {
  private readonly endpoint: ServerEndpoint;
  private readonly routes = new Map<string, DtlsSocket>();
  private readonly timers: TimerQueue;
  private readonly now = (): number => performance.now();
  private readonly maxConnections: number;
  private readonly maxHandshakes: number;
  private readonly idleTimeoutMs: number;
  private readonly maxBufferedBytes: number;
  private readonly keylog: ((line: string) => void) | undefined;
  private socket: dgram.Socket | undefined;
  private handshaking = 0;
  private closing: Promise<void> | undefined;
  private readonly counters: Counters = {
    connections: 0,
    handshakes: 0,
    datagrams: 0,
    helloVerifyRequests: 0,
    accepted: 0,
    established: 0,
    refused: 0,
    dropped: 0,
    replaced: 0,
  };

  constructor(
    private readonly options: DtlsServerOptions,
    onConnection?: (socket: DtlsSocket) => void,
  ) {
    super();
    this.maxConnections = positiveInt('maxConnections', options.maxConnections, DEFAULTS.maxConnections);
    this.maxHandshakes = positiveInt('maxHandshakes', options.maxHandshakes, DEFAULTS.maxHandshakes);
    this.idleTimeoutMs = nonNegativeInt('idleTimeoutMs', options.idleTimeoutMs, DEFAULTS.serverIdleTimeoutMs);
    this.maxBufferedBytes = nonNegativeInt('maxBufferedBytes', options.maxBufferedBytes, DEFAULTS.maxBufferedBytes);
    const handshakeTimeoutMs = positiveInt('handshakeTimeoutMs', options.handshakeTimeoutMs, DEFAULTS.handshakeTimeoutMs);
    // Throws here, synchronously, for bad engine options (no credentials, unknown suites, ...).
    this.endpoint = new ServerEndpoint(engineOptions(options, handshakeTimeoutMs));
    this.keylog = keylogWriter(options.keylog);
    this.timers = new TimerQueue(this.now);
    if (onConnection) this.on('connection', onConnection);
  }

  /**
   * Binds the UDP socket (`udp6` for an IPv6 host or `type: 'udp6'`, else `udp4`; all
   * interfaces without a host) and resolves with its address.
   */
  listen(port = 0, host?: string, callback?: (error?: Error) => void): Promise<AddressInfo> {
    if (this.socket) return Promise.reject(new Error('the server is already listening'));
    const type = this.options.type ?? (host !== undefined && isIPv6(host) ? 'udp6' : 'udp4');
    const { ipv6Only = false, recvBufferSize, sendBufferSize } = this.options;
    const socket = dgram.createSocket({ type, ipv6Only, recvBufferSize, sendBufferSize });
    this.socket = socket;
    const promise = new Promise<AddressInfo>((resolve, reject) => {
      const onError = (error: Error): void => {
        this.socket = undefined;
        socket.close();
        if (this.listenerCount('error') > 0) this.emit('error', error);
        reject(error);
      };
      socket.once('error', onError);
      socket.bind(port, host ?? (type === 'udp6' ? '::' : '0.0.0.0'), () => {
        socket.off('error', onError);
        socket.on('error', (error) => {
          if (this.listenerCount('error') > 0) this.emit('error', error);
        });
        socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
        this.emit('listening');
        resolve(socket.address());
      });
    });
    // With a callback the failure is the callback's; without, the promise's (and 'error' listeners').
    if (callback) promise.then(() => callback(), callback);
    return promise;
  }

  /** The bound address, or null before listen() (as node:net). */
  address(): AddressInfo | null {
    try {
      return this.socket?.address() ?? null;
    } catch {
      return null;
    }
  }

  get listening(): boolean {
    return this.address() !== null;
  }

  get stats(): DtlsServerStats {
    return { ...this.counters, connections: this.routes.size, handshakes: this.handshaking };
  }

  /** The live connections (handshakes in progress included). */
  connections(): DtlsSocket[] {
    return [...this.routes.values()];
  }

  /** Keeps (default) or stops the socket from keeping the process alive. */
  ref(): this {
    this.socket?.ref();
    return this;
  }

  unref(): this {
    this.socket?.unref();
    return this;
  }

  /**
   * Sends close_notify on every connection, closes the socket, and resolves once the server
   * and every connection emitted 'close'.
   */
  close(callback?: (error?: Error) => void): Promise<void> {
    this.closing ??= this.shutdown();
    if (callback) this.closing.then(() => callback(), callback);
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const socket = this.socket;
    const closed = [...this.routes.values()].map((s) => s.close());
    await Promise.all(closed);
    this.timers.clear();
    if (socket) {
      await new Promise<void>((resolve) => socket.close(() => resolve()));
      this.socket = undefined;
    }
    this.emit('close');
  }

  private onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.closing) return;
    this.counters.datagrams++;
    const datagram = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
    const key = routeKey(datagram, rinfo);
    const now = this.now();
    const existing = this.routes.get(key);
    traceDatagram('in', 'server', existing, rinfo.address, rinfo.port, datagram);
    if (existing === undefined) {
      this.fromNewPeer(datagram, key, rinfo, now, undefined);
      return;
    }
    // RFC 6347 4.2.8: a new ClientHello (epoch 0, another client random) from the address of a
    // connection is a client that lost its state (restarted, or a NAT reused the port). It goes
    // to the cookie endpoint; the old connection is replaced only once the cookie verifies.
    const hello = sniffClientHello(datagram);
    if (hello !== undefined) {
      const known = existing.clientRandom;
      if (hello.random !== undefined && known !== undefined && hello.random !== known) {
        this.fromNewPeer(datagram, key, rinfo, now, existing);
        return;
      }
      // Our own handshake's ClientHello again: the connection's business while it handshakes,
      // stale once it is established.
      if (existing.state === 'established') return;
    }
    existing.receive(datagram, now);
  }

  private fromNewPeer(datagram: Uint8Array, key: string, rinfo: RemoteInfo, now: number, replacing: DtlsSocket | undefined): void {
    // Limits first, before the endpoint spends an HMAC: at a limit a ClientHello is dropped, and
    // the client's retransmission gets in once there is room again.
    const refusal =
      replacing === undefined && this.routes.size >= this.maxConnections
        ? 'maxConnections'
        : this.handshaking >= this.maxHandshakes
          ? 'maxHandshakes'
          : undefined;
    if (refusal !== undefined) {
      if (sniffClientHello(datagram) !== undefined) {
        this.counters.refused++;
        if (channels.refuse.hasSubscribers) channels.refuse.publish({ remoteAddress: rinfo.address, remotePort: rinfo.port, reason: refusal });
      } else {
        this.counters.dropped++;
      }
      return;
    }
    const result = this.endpoint.handle(datagram, key, now);
    switch (result.type) {
      case 'drop':
        this.counters.dropped++;
        return;
      case 'reply':
        this.counters.helloVerifyRequests++;
        this.sendTo(result.datagram, rinfo.port, rinfo.address, undefined);
        return;
      case 'accept':
        break;
    }
    if (replacing !== undefined) {
      this.counters.replaced++;
      replacing.destroy();
    }
    this.counters.accepted++;
    this.handshaking++;
    const { address, port } = rinfo;
    let counted = true; // in `handshaking`
    const socket: DtlsSocket = new DtlsSocket({
      connection: result.connection,
      role: 'server',
      remoteAddress: address,
      remotePort: port,
      timers: this.timers,
      idleTimeoutMs: this.idleTimeoutMs,
      maxBufferedBytes: this.maxBufferedBytes,
      now: this.now,
      transport: {
        send: (d) => this.sendTo(d, port, address, socket),
        release: (done) => process.nextTick(done),
        address: () => this.address() ?? undefined,
      },
      hooks: {
        onEstablished: (s) => {
          if (counted) this.handshaking--;
          counted = false;
          this.counters.established++;
          s.clientRandom ??= randomFromKeyLog(result.connection.keyLogLine);
          this.emit('connection', s);
        },
        onKeylog: (line, s) => {
          this.keylog?.(line);
          if (this.listenerCount('keylog') > 0) this.emit('keylog', Buffer.from(line, 'latin1'), s);
        },
        onEnd: (s, error, established) => {
          if (counted) this.handshaking--;
          counted = false;
          if (this.routes.get(key) === s) this.routes.delete(key);
          if (!established && error && this.listenerCount('clientError') > 0) this.emit('clientError', error, { address, port });
        },
      },
    });
    socket.clientRandom = sniffClientHello(datagram)?.random;
    this.routes.set(key, socket);
    // The endpoint fed the ClientHello to the connection: its first flight is waiting.
    socket.kick();
  }

  private sendTo(datagram: Uint8Array, port: number, address: string, connection: DtlsSocket | undefined): void {
    const socket = this.socket;
    if (!socket) return;
    traceDatagram('out', 'server', connection, address, port, datagram);
    try {
      socket.send(datagram, port, address, noop);
    } catch {
      // The socket closed under us: UDP loses the datagram, as it might anyway.
    }
  }
}

function noop(): void {}

/** Creates a DTLS server (node:tls createServer): `onConnection` listens for 'connection'. */
export function createServer(options: DtlsServerOptions, onConnection?: (socket: DtlsSocket) => void): DtlsServer {
  return new DtlsServer(options, onConnection);
}
