import { threadId } from 'node:worker_threads';
import { AlertDescription, type DtlsConnection } from '@dtls-kit/core';
import { BlockingAlertError, BlockingTimeoutError } from './errors.js';
import { markEstablished, Phase, phaseOf, reportHandshake } from './handshake-word.js';
import { C, type Link } from './ring.js';

export interface CipherInfo {
  /** OpenSSL's name, e.g. `PSK-AES128-CCM8`. */
  readonly name: string;
  /** The IANA name, e.g. `TLS_PSK_WITH_AES_128_CCM_8`. */
  readonly standardName: string;
  readonly version: string;
}

const now = (): number => performance.now();
const decoder = new TextDecoder();

/**
 * Handshake states in which the engine waits on itself (an asynchronous PSK lookup, a
 * ServerKeyExchange signature), not on the peer: the peer's silence then is not the peer's stall.
 * (State names of @dtls-kit/core's ServerHandshake.)
 */
const WAITING_ON_US: ReadonlySet<string> = new Set(['wait_psk', 'wait_signature']);

const EVICTED_MESSAGE = 'handshake evicted: the peer made no progress while the server needed its place for another client';

/**
 * A DTLS connection as a handler sees it, inside a worker: every call blocks this worker only
 * (Atomics.wait on the connection's inbound ring, with the engine's next timer as the timeout).
 */
export class BlockingConnection {
  private readonly queue: Uint8Array[] = [];
  private closed = false;
  private established = false;
  /** The handshake's first step (its first flight out) was reported to the main thread. */
  private started = false;
  private closeError: BlockingAlertError | undefined;
  /** Warning alerts the peer sent (e.g. no_renegotiation), by name. */
  readonly warnings: string[] = [];
  /** The worker thread this connection runs in (never the main thread). */
  readonly threadId = threadId;

  /** @internal built by the worker */
  constructor(
    private readonly conn: DtlsConnection,
    private readonly link: Link,
    readonly remoteAddress: string,
    readonly remotePort: number,
  ) {}

  get cipher(): CipherInfo | undefined {
    const suite = this.conn.cipherSuite;
    if (!suite) return undefined;
    return { name: suite.opensslName, standardName: suite.name, version: this.conn.protocol ?? 'DTLSv1.2' };
  }

  get protocol(): string | undefined {
    return this.conn.protocol;
  }

  /** The PSK identity used (client) or accepted (server), as text. */
  get pskIdentity(): string | undefined {
    const id = this.conn.pskIdentity;
    return id ? decoder.decode(id) : undefined;
  }

  get alpnProtocol(): string | undefined {
    return this.conn.alpnProtocol;
  }

  /** The peer's certificate chain (DER, leaf first) in certificate suites. */
  get peerCertificates(): readonly Uint8Array[] {
    return this.conn.peerCertificates;
  }

  get authorized(): boolean {
    return this.conn.authorized;
  }

  /** True once the connection is over (closed by either side or failed). */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * The next message (one datagram of application data, boundaries kept); `null` when the peer
   * closed (close_notify) or the server is shutting down. Throws BlockingTimeoutError after
   * `timeoutMs` without a message (the connection stays open), BlockingAlertError when the
   * connection ended with a fatal alert.
   */
  recv(timeoutMs?: number): Uint8Array | null {
    const deadline = timeoutMs === undefined ? Infinity : now() + timeoutMs;
    for (;;) {
      const seen = this.pump();
      const next = this.queue.shift();
      if (next) return next;
      if (this.closed) {
        if (this.closeError) throw this.closeError;
        return null;
      }
      if (now() >= deadline) throw new BlockingTimeoutError(`recv: nothing received within ${timeoutMs} ms`);
      this.wait(seen, deadline);
    }
  }

  /** Sends one datagram of application data; returns once it is handed to the main thread's socket. */
  send(data: Uint8Array | string): void {
    if (this.closed) {
      if (this.closeError) throw this.closeError;
      throw new Error('send: the connection is closed');
    }
    this.conn.send(typeof data === 'string' ? new TextEncoder().encode(data) : data);
    this.pump();
  }

  /** Sends close_notify and ends the connection. */
  close(): void {
    if (!this.closed) this.conn.close();
    this.pump();
  }

  /** @internal: a fatal internal_error alert (the handler threw). */
  abort(message: string): void {
    this.conn.abort(undefined, message);
    this.pump();
  }

  /** @internal: runs the handshake (async, so asynchronous credential lookups can resolve). */
  async handshake(): Promise<void> {
    for (;;) {
      const seen = this.pump();
      if (this.established) return;
      if (this.closed) throw this.closeError ?? new Error('connection closed during the handshake');
      const t = this.conn.nextTimeout();
      const timeout = t === undefined ? undefined : Math.max(0, t - now());
      const woken = new Promise<void>((resolve) => {
        this.conn.onWake = resolve;
      });
      const w = Atomics.waitAsync(this.link.ctrl, C.IN_SEQ, seen, timeout);
      if (w.async) await Promise.race([w.value, woken]);
      this.conn.onWake = undefined;
    }
  }

  /** Blocks until an inbound datagram, the engine's next timer, or `deadline`. */
  private wait(seen: number, deadline: number): void {
    const t = this.conn.nextTimeout() ?? Infinity;
    const until = Math.min(t, deadline);
    const timeout = until === Infinity ? undefined : Math.max(0, until - now());
    Atomics.wait(this.link.ctrl, C.IN_SEQ, seen, timeout);
  }

  /**
   * Feeds what arrived, runs due timers, collects events, then flushes outgoing datagrams
   * (events first, then datagrams). Returns the inbound sequence seen before draining, to wait on.
   */
  private pump(): number {
    const { ctrl, inbound, outbound } = this.link;
    const seen = Atomics.load(ctrl, C.IN_SEQ);
    const handshaking = !this.established && !this.closed;
    const step = this.conn.handshakeState;
    if (handshaking && phaseOf(Atomics.load(ctrl, C.HANDSHAKE)) === Phase.EVICTED) {
      // The server gave this handshake's place to another client: end it with a fatal alert, still
      // in epoch 0 (RFC 5246 7.2.2), as a refusal would. What the peer sent meanwhile is moot.
      while (inbound.pop() !== undefined);
      this.conn.abort(AlertDescription.internal_error, EVICTED_MESSAGE);
    } else {
      // The server's router sent here only what came from this peer's address (a client's socket is
      // connected to it): that address goes with every datagram, for the engine to judge.
      const from = { address: this.remoteAddress, port: this.remotePort };
      for (let d = inbound.pop(); d; d = inbound.pop()) this.conn.receive(d, now(), from);
    }
    if (Atomics.load(ctrl, C.STOP) && !this.closed) this.conn.close();
    const t = this.conn.nextTimeout();
    if (t !== undefined && now() >= t) this.conn.handleTimeout(now());
    for (let e = this.conn.pollEvent(); e; e = this.conn.pollEvent()) {
      switch (e.type) {
        case 'handshake-complete':
          // The main thread may have evicted the handshake in the same instant: its decision stands.
          if (markEstablished(ctrl)) this.established = true;
          else this.conn.abort(AlertDescription.internal_error, EVICTED_MESSAGE);
          break;
        case 'data':
          this.queue.push(e.data);
          break;
        case 'alert':
          this.warnings.push(e.name);
          break;
        case 'close':
          this.closed = true;
          if (e.error) this.closeError = new BlockingAlertError(e.error.message, e.error.alert, e.error.fromPeer);
          break;
      }
    }
    let sent = false;
    for (const d of this.conn.datagramsToSend()) {
      if (outbound.push(d)) sent = true;
      else Atomics.add(ctrl, C.OUT_DROPPED, 1);
    }
    if (!this.established && !this.closed && this.conn.state === 'handshaking') {
      // Tell the main thread when the handshake moved (its first flight went out, or it reached a
      // new state) and whether it now waits on the peer: a handshake that waits on a silent peer
      // for the first retransmission timeout may give its place to another client.
      const moved = !this.started || this.conn.handshakeState !== step;
      this.started = true;
      reportHandshake(ctrl, moved, !WAITING_ON_US.has(this.conn.handshakeState));
      // Wake the main thread's watcher even when nothing is sent, so that it notes the time.
      if (moved) sent = true;
    }
    if (sent) this.link.bump(C.OUT_SEQ);
    return seen;
  }
}

