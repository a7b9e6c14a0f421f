/**
 * Serves a sans-I/O DTLS server endpoint over one real node:dgram socket, for interop
 * tests against OpenSSL/GnuTLS clients on 127.0.0.1.
 *
 * One socket serves every peer: a datagram from an "address:port" with an accepted
 * connection goes to that connection's receive(); anything else goes to the endpoint's
 * stateless handle() (cookie exchange), whose reply is sent back and whose accepted
 * connection joins the routing table. One timer serves every connection: a single
 * setTimeout armed for the earliest deadline of all of them.
 *
 * Like the client driver (udp-driver.ts) this declares the shapes it drives rather than
 * importing @dtls-kit/core, so any object with these methods can be served (a
 * ServerEndpoint, or a toy endpoint in a test). Time is performance.now() by default.
 */
import type { RemoteInfo, Socket } from 'node:dgram';
import type { SimEndpoint } from './endpoint.js';

/** The smallest event shape the server understands; DtlsEvent fits it. */
export interface ServedEvent {
  readonly type: string;
  /** With type 'data': the application data. */
  readonly data?: Uint8Array;
  /** With type 'close': the error that ended the connection, if any. */
  readonly error?: unknown;
}

/** A connection as the server drives it: a SimEndpoint with events and application data. */
export interface ServedConnection extends SimEndpoint {
  pollEvent(): ServedEvent | undefined;
  send(data: Uint8Array): void;
  close(): void;
  /** The most one send() carries in one datagram at the MTU (DtlsConnection.maxPayload); no limit when absent. */
  readonly maxPayload?: number | undefined;
}

/** What the stateless endpoint decides about a datagram from a peer without a connection. */
export type ServedEndpointResult<C> =
  | { readonly type: 'drop'; readonly reason: string }
  | { readonly type: 'reply'; readonly datagram: Uint8Array }
  | { readonly type: 'accept'; readonly connection: C };

/** A ServerEndpoint-like object. */
export interface ServedEndpoint<C extends ServedConnection> {
  handle(datagram: Uint8Array, peer: string, now: number): ServedEndpointResult<C>;
}

/** The event type a connection reports (DtlsEvent for a DtlsConnection). */
export type EventOf<C extends ServedConnection> = NonNullable<ReturnType<C['pollEvent']>>;

export interface UdpServerOptions<C extends ServedConnection> {
  /** The clock handed to the endpoint and connections (default: performance.now). */
  now?: () => number;
  /** Send every 'data' event back to its sender (default false). */
  echo?: boolean;
  /** A connection was accepted (its cookie verified). */
  onAccept?: (connection: C, peer: string) => void;
  /** Every event of every connection, in order, before the echo. */
  onEvent?: (connection: C, event: EventOf<C>, peer: string) => void;
  /** The endpoint dropped a datagram (not a ClientHello, bad cookie state, ...). */
  onDrop?: (reason: string, peer: string) => void;
  /** Every datagram in ('in', before routing) and out ('out', as handed to the socket). */
  onDatagram?: (direction: 'in' | 'out', datagram: Uint8Array, peer: string) => void;
  /**
   * Something threw (the endpoint, a connection, or a hook). The connection concerned is
   * forgotten; the server keeps serving the others. Also kept in `errors`.
   */
  onError?: (error: Error, peer: string) => void;
}

export interface UdpServerStats {
  /** Datagrams received on the socket. */
  received: number;
  /** Datagrams handed to the socket. */
  sent: number;
  /** Endpoint replies (HelloVerifyRequest, alerts). */
  replies: number;
  /** Datagrams the endpoint dropped. */
  dropped: number;
  /** Connections accepted. */
  accepted: number;
  /** Connections that reported 'close' (and were removed). */
  closed: number;
  /** Times a connection's handleTimeout was called. */
  timeouts: number;
  /** Sends the socket reported as failed. */
  sendErrors: number;
  /** Data events echoed back (echo mode). */
  echoed: number;
}

export interface UdpServer<C extends ServedConnection> {
  /** The live connections by "address:port". */
  readonly connections: ReadonlyMap<string, C>;
  /** Errors thrown by the endpoint, a connection or a hook, with the peer concerned. */
  readonly errors: ReadonlyArray<{ readonly peer: string; readonly error: Error }>;
  readonly stats: Readonly<UdpServerStats>;
  /** Collects every connection's output and events and re-arms the timer (after a send()). */
  pump(): void;
  /** Sends close_notify on every live connection and flushes it (the socket stays open). */
  closeAll(): void;
  /** Detaches from the socket and clears the timer. Does not close the socket. */
  stop(): void;
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/** "address:port", with IPv6 addresses bracketed. */
export function peerKey(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

interface Entry<C> {
  readonly connection: C;
  readonly peer: string;
  readonly address: string;
  readonly port: number;
  deadline: number | undefined;
}

/**
 * Starts serving `endpoint` on `socket` (already bound). See the module comment.
 * Each accepted connection's onWake is set so asynchronous work (a PSK lookup) gets pumped.
 */
export function serveOverUdp<C extends ServedConnection>(
  endpoint: ServedEndpoint<C>,
  socket: Socket,
  options: UdpServerOptions<C> = {},
): UdpServer<C> {
  const now = options.now ?? ((): number => performance.now());
  const stats: UdpServerStats = {
    received: 0,
    sent: 0,
    replies: 0,
    dropped: 0,
    accepted: 0,
    closed: 0,
    timeouts: 0,
    sendErrors: 0,
    echoed: 0,
  };
  const entries = new Map<string, Entry<C>>();
  const connections = new Map<string, C>();
  const errors: Array<{ peer: string; error: Error }> = [];
  let running = true;
  let timer: NodeJS.Timeout | undefined;
  let timerDeadline: number | undefined;

  const report = (error: unknown, peer: string): void => {
    const e = toError(error);
    errors.push({ peer, error: e });
    try {
      options.onError?.(e, peer);
    } catch {
      // a throwing error hook must not take the server down
    }
  };

  const sendTo = (datagram: Uint8Array, address: string, port: number, peer: string): void => {
    stats.sent++;
    options.onDatagram?.('out', datagram, peer);
    try {
      socket.send(datagram, port, address, (error) => {
        if (error) stats.sendErrors++;
      });
    } catch {
      // The socket was closed under us.
      stats.sendErrors++;
    }
  };

  const forget = (entry: Entry<C>): void => {
    if (entries.get(entry.peer) !== entry) return;
    entries.delete(entry.peer);
    connections.delete(entry.peer);
    if (entry.connection.onWake !== undefined) entry.connection.onWake = undefined;
  };

  /** Drains one connection: events (and echoes), datagrams, its deadline. */
  const flush = (entry: Entry<C>): void => {
    const { connection, peer } = entry;
    // Events first: an echo adds datagrams, which the loop below then sends.
    const events: ServedEvent[] = [];
    for (let event = connection.pollEvent(); event !== undefined; event = connection.pollEvent()) events.push(event);
    // Data followed by close_notify in one datagram: the connection is already closed and
    // cannot echo, so nothing of this batch is echoed.
    const closed = events.some((event) => event.type === 'close');
    for (const event of events) {
      options.onEvent?.(connection, event as EventOf<C>, peer);
      if (event.type === 'data' && options.echo && !closed && event.data !== undefined) {
        // A peer with a larger MTU than ours may send more than one of our datagrams carries
        // (RFC 6347 4.1.1.1): the echo goes back in pieces that fit.
        const step = connection.maxPayload ?? event.data.length;
        for (let at = 0; at < event.data.length; at += Math.max(1, step)) connection.send(event.data.subarray(at, at + Math.max(1, step)));
        stats.echoed++;
      }
    }
    for (const datagram of connection.datagramsToSend()) sendTo(datagram, entry.address, entry.port, peer);
    if (closed) {
      stats.closed++;
      forget(entry);
      entry.deadline = undefined;
    } else {
      entry.deadline = connection.nextTimeout();
    }
  };

  /** Runs work against one connection; a throw forgets it and is reported, never escapes. */
  const guarded = (entry: Entry<C>, work: () => void): void => {
    try {
      work();
      flush(entry);
    } catch (error) {
      report(error, entry.peer);
      forget(entry);
    }
  };

  // The one timer: armed for the earliest deadline of all connections. A linear scan is
  // plenty for a test server; a heap would replace it at scale.
  const arm = (): void => {
    if (!running) return;
    let earliest: number | undefined;
    for (const entry of entries.values()) {
      if (entry.deadline !== undefined && (earliest === undefined || entry.deadline < earliest)) earliest = entry.deadline;
    }
    if (earliest === timerDeadline && (timer !== undefined || earliest === undefined)) return;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    timerDeadline = earliest;
    if (earliest === undefined) return;
    timer = setTimeout(onTimer, Math.max(0, earliest - now()));
  };

  const onTimer = (): void => {
    timer = undefined;
    const fired = timerDeadline ?? 0;
    timerDeadline = undefined;
    if (!running) return;
    // setTimeout may fire a little early (it rounds to whole ms): hand the connections a
    // time at least equal to the deadline that fired.
    const t = Math.max(now(), fired);
    for (const entry of [...entries.values()]) {
      if (entry.deadline !== undefined && entry.deadline <= t) {
        stats.timeouts++;
        guarded(entry, () => entry.connection.handleTimeout(t));
      }
    }
    arm();
  };

  const admit = (connection: C, peer: string, address: string, port: number): void => {
    const entry: Entry<C> = { connection, peer, address, port, deadline: undefined };
    entries.set(peer, entry);
    connections.set(peer, connection);
    stats.accepted++;
    connection.onWake = (): void => {
      // Coalesced into a microtask: the engine may call it from inside receive().
      queueMicrotask(() => {
        if (!running || entries.get(peer) !== entry) return;
        guarded(entry, () => {});
        arm();
      });
    };
    try {
      options.onAccept?.(connection, peer);
    } catch (error) {
      report(error, peer);
    }
    // handle() already fed the ClientHello to the connection: its flight is waiting.
    guarded(entry, () => {});
  };

  function onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    if (!running) return;
    stats.received++;
    const peer = peerKey(rinfo.address, rinfo.port);
    const datagram = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
    options.onDatagram?.('in', datagram, peer);
    const t = now();
    const entry = entries.get(peer);
    if (entry !== undefined) {
      guarded(entry, () => entry.connection.receive(datagram, t));
      arm();
      return;
    }
    let result: ServedEndpointResult<C>;
    try {
      result = endpoint.handle(datagram, peer, t);
    } catch (error) {
      report(error, peer);
      return;
    }
    switch (result.type) {
      case 'drop':
        stats.dropped++;
        options.onDrop?.(result.reason, peer);
        break;
      case 'reply':
        stats.replies++;
        sendTo(result.datagram, rinfo.address, rinfo.port, peer);
        break;
      case 'accept':
        admit(result.connection, peer, rinfo.address, rinfo.port);
        arm();
        break;
    }
  }

  function onClose(): void {
    stop();
  }

  const stop = (): void => {
    if (!running) return;
    running = false;
    socket.off('message', onMessage);
    socket.off('close', onClose);
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    timerDeadline = undefined;
    for (const entry of entries.values()) {
      if (entry.connection.onWake !== undefined) entry.connection.onWake = undefined;
    }
  };

  socket.on('message', onMessage);
  socket.on('close', onClose);

  return {
    connections,
    errors,
    stats,
    pump: () => {
      if (!running) return;
      for (const entry of [...entries.values()]) guarded(entry, () => {});
      arm();
    },
    closeAll: () => {
      if (!running) return;
      for (const entry of [...entries.values()]) guarded(entry, () => entry.connection.close());
      arm();
    },
    stop,
  };
}
