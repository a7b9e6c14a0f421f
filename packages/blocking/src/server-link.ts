import { ZERO_CONNECTION_COUNTERS, type ConnectionCounters } from '@dtls-kit/core/internal';
import { evictIfUnchangedWord, Phase } from './handshake-word.js';
import type { ControlHandler, HostLink } from './host.js';
import { C, encodeRemote, Frame, STOP_CLOSE, STOP_SILENT } from './ring.js';
import { encodeStart } from './start-frame.js';
import type { VerifiedClientHello } from '@dtls-kit/core';

/** A peer's transport address. */
interface Source {
  readonly address: string;
  readonly port: number;
}

/** Bytes a queued datagram takes in a ring (its length word, padded to 4), for the queue's bound. */
const ringSize = (length: number): number => 4 + ((length + 3) & ~3);

/**
 * One server connection as the main thread sees it, from its verified ClientHello to its end. It
 * has no shared memory of its own: while it waits for a worker it keeps its peer's datagrams here
 * (bounded as its ring would be: a full queue drops and counts, as a full ring does), and once a
 * long-lived worker takes it, it runs on that worker's link (HostLink, begun again for it), which
 * it leaves when it ends. So a connection costs no SharedArrayBuffer and no task message: the
 * links are the workers', made once.
 */
export class ServerLink {
  private host: HostLink | undefined;
  /** Datagrams that came before a worker took the connection, with their sources. */
  private pending: { data: Uint8Array; from: Source | undefined; client: Source | undefined }[] = [];
  private pendingBytes = 0;
  private pendingDropped = 0;
  /** The handshake word while queued (see handshake-word.ts): handshaking, or evicted by this thread. */
  private word: number = Phase.HANDSHAKING;
  /** STOP_CLOSE / STOP_SILENT asked while queued (given to the worker if it ever takes it). */
  private stopKind = 0;
  private readonly createdAt: number;
  /**
   * The connection the main thread handshook (the server's `handshakes: 'main'`), encoded for the
   * worker's HANDOVER frame; undefined while it handshakes, or when a worker runs its handshake.
   */
  private handover: Uint8Array | undefined;
  /** Established on the main thread: it counts as established from then on, whatever its new link's word says until the worker took it up. */
  private handedOver = false;
  /** What the connection's link said when it left it. */
  private final: { established: boolean; counters: ConnectionCounters; inDropped: number; outDropped: number } | undefined;
  private send: ((datagram: Uint8Array) => void) | undefined;
  private control: ControlHandler | undefined;
  private onEstablished: (() => void) | undefined;

  constructor(
    private readonly ringBytes: number,
    private source: Source,
    now: number = performance.now(),
    /** Behind a load balancer (proxyProtocol): the client's own address, for the worker's remoteAddress. */
    private readonly client?: Source,
  ) {
    this.createdAt = now;
  }

  /** Where the worker's datagrams and frames go (the server's routing), and the 'connection' callback. */
  watch(send: (datagram: Uint8Array) => void, control: ControlHandler, established: () => void): void {
    this.send = send;
    this.control = control;
    this.onEstablished = established;
  }

  /** The attached link's watcher forwards here: a datagram of this connection's worker. */
  sendOut(datagram: Uint8Array): void {
    this.send?.(datagram);
  }

  /** The attached link's watcher forwards here: a frame other than a datagram or RESULT. */
  controlIn(kind: number, data: Uint8Array): void {
    this.control?.(kind, data);
  }

  /** The attached link's watcher forwards here: the handshake finished. */
  announceEstablished(): void {
    this.onEstablished?.();
  }

  /**
   * A worker takes the connection: its link is begun again (nothing of the previous connection is
   * left), then gets the peer's address, the START frame and the datagrams that waited here.
   */
  attach(host: HostLink, hello: VerifiedClientHello, now: number = performance.now()): void {
    host.begin(now);
    this.host = host;
    host.inbound.push(encodeRemote(this.source.address, this.source.port), Frame.SOURCE);
    if (this.client !== undefined) host.inbound.push(encodeRemote(this.client.address, this.client.port), Frame.CLIENT);
    if (this.handover !== undefined) host.inbound.push(this.handover, Frame.HANDOVER);
    else host.inbound.push(encodeStart(hello), Frame.START);
    this.handover = undefined;
    host.setSource(this.source.address, this.source.port);
    if (this.client !== undefined) host.setClient(this.client.address, this.client.port);
    for (const p of this.pending) host.deliver(p.data, p.from, p.client);
    this.pending = [];
    this.pendingBytes = 0;
    if (this.stopKind === STOP_SILENT) host.silence();
    else if (this.stopKind === STOP_CLOSE) host.stop();
    // The worker sleeps on its link's sequence word between connections.
    host.wake(C.IN_SEQ);
  }

  /**
   * The main thread established the connection (handshakes: 'main'): `snapshot` (handover-frame.ts)
   * goes to the worker that takes it, and `source` is where its peer is now. False, changing
   * nothing, when the snapshot cannot fit in a ring of ringBytes (with the SOURCE and CLIENT frames).
   */
  handOver(snapshot: Uint8Array, source: Source): boolean {
    if (ringSize(snapshot.length) + 2 * ringSize(64) > this.ringBytes) return false;
    this.handover = snapshot;
    this.handedOver = true;
    this.source = source;
    return true;
  }

  /**
   * The datagrams that waited here (with their sources), taken: the main thread's engine gets
   * them when the connection's handshake starts there (handshakes: 'main').
   */
  takePending(): { data: Uint8Array; from: Source | undefined; client: Source | undefined }[] {
    const out = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    return out;
  }

  /** The connection ended: what its link says is kept, and the link is left for the next one. */
  finish(): void {
    const host = this.host;
    if (host === undefined) {
      this.final ??= { established: false, counters: { ...ZERO_CONNECTION_COUNTERS }, inDropped: this.pendingDropped, outDropped: 0 };
      this.pending = [];
      return;
    }
    host.announce();
    this.final = { established: this.handedOver || host.established, counters: host.readCounters(), inDropped: host.inDropped + this.pendingDropped, outDropped: host.outDropped };
    this.host = undefined;
  }

  observe(now: number = performance.now()): number {
    // Handed over: established, never evicted, even before its worker marks its new link's word.
    if (this.handedOver) return Phase.ESTABLISHED;
    return this.host?.observe(now) ?? this.word;
  }

  get lastStepAt(): number {
    return this.host?.lastStepAt ?? this.createdAt;
  }

  /** As HostLink.evict(); a queued connection's word is this thread's own. */
  evict(seen: number): boolean {
    if (this.handedOver) return false;
    if (this.host !== undefined) return this.host.evict(seen);
    if (this.final !== undefined) return false;
    const next = evictIfUnchangedWord(this.word, seen);
    if (next === undefined) return false;
    this.word = next;
    return true;
  }

  /** As HostLink.deliver(); while queued the datagram waits here, within the ring's bound. */
  deliver(datagram: Uint8Array, from?: Source, client?: Source): boolean {
    if (this.host !== undefined) return this.host.deliver(datagram, from, client);
    if (this.final !== undefined) return false;
    const size = ringSize(datagram.length);
    if (this.pendingBytes + size > this.ringBytes) {
      this.pendingDropped++;
      return false;
    }
    this.pending.push({ data: datagram, from, client });
    this.pendingBytes += size;
    return true;
  }

  stop(): void {
    if (this.host !== undefined) this.host.stop();
    else if (this.stopKind === 0) this.stopKind = STOP_CLOSE;
  }

  silence(): void {
    if (this.host !== undefined) this.host.silence();
    else this.stopKind = STOP_SILENT;
  }

  /** A worker took the connection and began it. */
  get started(): boolean {
    return this.host?.started ?? false;
  }

  get established(): boolean {
    if (this.handedOver) return this.final?.established ?? true;
    return this.host?.established ?? this.final?.established ?? false;
  }

  get inDropped(): number {
    return this.final?.inDropped ?? (this.host?.inDropped ?? 0) + this.pendingDropped;
  }

  get outDropped(): number {
    return this.final?.outDropped ?? this.host?.outDropped ?? 0;
  }

  readCounters(): ConnectionCounters {
    return this.final?.counters ?? this.host?.readCounters() ?? { ...ZERO_CONNECTION_COUNTERS };
  }
}
