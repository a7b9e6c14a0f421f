/**
 * A deterministic simulated network joining two sans-I/O endpoints, A and B.
 *
 * Each direction is a link with seeded faults (loss, duplication, reordering through a
 * random extra delay, fixed latency, an MTU) and an optional script hook for targeted
 * faults ("drop the server's second flight twice"). Time is virtual: `run` jumps from one
 * event (a delivery or an endpoint timer) to the next, so a handshake that backs off for
 * a minute completes in microseconds, and the same seed always gives the same run.
 *
 * Each node has a transport address, given to the receiver with every datagram. A node's address
 * can change mid-run (`rebind`, a NAT rebinding): what it sends then comes from the new address,
 * and what is addressed to the old one (an endpoint's `peerAddress`, at send time) is lost on
 * arrival and counted as `unreachable`.
 */
import type { SimAddress, SimEndpoint } from './endpoint.js';
import { Rng } from './rng.js';
import { VirtualClock } from './virtual-clock.js';

export type { SimAddress, SimEndpoint } from './endpoint.js';

/** Default addresses: A (the client) and B (the server). */
export const DEFAULT_SIM_ADDRESSES: Readonly<Record<'A' | 'B', SimAddress>> = {
  A: { address: '192.0.2.1', port: 40000 },
  B: { address: '192.0.2.2', port: 5684 },
};

/** A link direction: datagrams sent by A travel 'AtoB', datagrams sent by B travel 'BtoA'. */
export type Direction = 'AtoB' | 'BtoA';

export interface LinkOptions {
  /** Fixed one-way delay in ms (default 10). */
  latency?: number;
  /** Probability in [0, 1] that a datagram is lost (default 0). */
  loss?: number;
  /** Probability in [0, 1] that a datagram is delivered twice (default 0). */
  duplicate?: number;
  /**
   * Probability in [0, 1] that a datagram gets a random extra delay, which lets later
   * datagrams overtake it (default 0).
   */
  reorder?: number;
  /** Largest extra delay in ms for a reordered datagram (default 50; uniform in [1, reorderDelay]). */
  reorderDelay?: number;
  /**
   * Largest datagram the link carries, in bytes (default: unlimited). Larger datagrams
   * are dropped and counted as `oversize`: the engine is expected to respect its MTU,
   * and a test can assert that `oversize` stayed 0.
   */
  mtu?: number;
}

/**
 * What the script hook decides for one datagram:
 * - 'deliver' (or undefined): hand it to the link as usual (the link's random faults apply);
 * - 'drop': lose it (counted in `dropped`);
 * - an array of datagrams: replace it with these (each handed to the link as usual; an
 *   empty array is a drop). Lets a test corrupt, split or inject.
 */
export type ScriptDecision = 'drop' | 'deliver' | Uint8Array[];

/**
 * Called for every datagram an endpoint sends (after the MTU check).
 * `index` counts the datagrams sent in that direction, from 0, oversize ones included.
 */
export type ScriptHook = (
  dir: Direction,
  index: number,
  datagram: Uint8Array,
) => ScriptDecision | undefined;

export type SimTraceEvent =
  | { type: 'send'; time: number; dir: Direction; index: number; size: number }
  | { type: 'oversize'; time: number; dir: Direction; index: number; size: number }
  | { type: 'drop'; time: number; dir: Direction; index: number; size: number; by: 'loss' | 'script' }
  | { type: 'duplicate'; time: number; dir: Direction; index: number; size: number }
  | { type: 'deliver'; time: number; dir: Direction; index: number; size: number }
  | { type: 'unreachable'; time: number; dir: Direction; index: number; size: number; to: SimAddress }
  | { type: 'rebind'; time: number; endpoint: 'A' | 'B'; from: SimAddress; to: SimAddress }
  | { type: 'timeout'; time: number; endpoint: 'A' | 'B' };

export interface SimNetworkOptions {
  /** Endpoint A (by convention the client). */
  a: SimEndpoint;
  /** Endpoint B (by convention the server). */
  b: SimEndpoint;
  /** Seed of all random faults (default 1). */
  seed?: number;
  /** Options for both directions. */
  link?: LinkOptions;
  /** Overrides for the A→B direction, merged over `link`. */
  aToB?: LinkOptions;
  /** Overrides for the B→A direction, merged over `link`. */
  bToA?: LinkOptions;
  script?: ScriptHook;
  /** The clock to use (default: a new VirtualClock starting at 0). */
  clock?: VirtualClock;
  /** The nodes' initial addresses (default DEFAULT_SIM_ADDRESSES). */
  addresses?: { a?: SimAddress; b?: SimAddress };
  /** Receives every network event; for debugging a failing seed. */
  trace?: (event: SimTraceEvent) => void;
  /**
   * How `run` yields between steps so that promises inside the engines (asynchronous
   * credential lookups) settle: 'immediate' (default) waits for a setImmediate turn,
   * which drains every pending microtask; 'microtask' awaits a single microtask, which
   * is faster but only settles one-hop promises; or a custom function.
   */
  pump?: 'immediate' | 'microtask' | (() => Promise<void>);
}

/** Counters of one direction, cumulative over the network's lifetime. */
export interface LinkStats {
  /** Datagrams the sending endpoint emitted. */
  sent: number;
  /** Datagrams handed to the receiving endpoint (duplicates included). */
  delivered: number;
  /** Datagrams lost to random loss or dropped by the script. */
  dropped: number;
  /** Extra copies the link made. */
  duplicated: number;
  /** Datagrams larger than the MTU (dropped). */
  oversize: number;
  /** Datagrams that arrived for an address the receiver no longer has (it rebound since): lost. */
  unreachable: number;
  /** Bytes of the datagrams emitted. */
  bytesSent: number;
  /** Size of the largest datagram emitted. */
  largest: number;
}

export interface RunOptions {
  /** Stop as soon as this holds (checked before the first step and after every step). */
  until?: () => boolean;
  /** Virtual ms this run may advance the clock by (default 600 000: ten minutes). */
  maxTime?: number;
  /** Events this run may process (default 100 000). */
  maxSteps?: number;
}

export type StopReason = 'until' | 'maxTime' | 'maxSteps' | 'idle';

export interface RunResult {
  /** Why the run stopped; 'idle' means no datagram in flight and no timer armed. */
  reason: StopReason;
  /** reason === 'until'. */
  ok: boolean;
  /** The virtual time when the run stopped. */
  time: number;
  /** Virtual ms elapsed during this run. */
  elapsed: number;
  /** Events (deliveries and timer firings) processed during this run. */
  steps: number;
  /** A snapshot of the cumulative per-direction counters. */
  stats: Record<Direction, LinkStats>;
}

interface InFlight {
  deliverAt: number;
  /** Enqueue order: ties in deliverAt are delivered first-in first-out. */
  seq: number;
  dir: Direction;
  index: number;
  datagram: Uint8Array;
  from: SimAddress;
  to: SimAddress;
}

/** A datagram's source and destination, fixed when it is sent. */
interface Route {
  from: SimAddress;
  to: SimAddress;
}

interface ResolvedLink {
  latency: number;
  loss: number;
  duplicate: number;
  reorder: number;
  reorderDelay: number;
  mtu: number;
}

function resolveLink(base: LinkOptions | undefined, override: LinkOptions | undefined): ResolvedLink {
  const merged: LinkOptions = { ...base, ...override };
  const link: ResolvedLink = {
    latency: merged.latency ?? 10,
    loss: merged.loss ?? 0,
    duplicate: merged.duplicate ?? 0,
    reorder: merged.reorder ?? 0,
    reorderDelay: merged.reorderDelay ?? 50,
    mtu: merged.mtu ?? Number.POSITIVE_INFINITY,
  };
  for (const key of ['loss', 'duplicate', 'reorder'] as const) {
    const p = link[key];
    if (!(p >= 0 && p <= 1)) throw new RangeError(`SimNetwork: ${key} must be in [0, 1], got ${p}`);
  }
  if (!(link.latency >= 0)) throw new RangeError(`SimNetwork: latency must be >= 0, got ${link.latency}`);
  if (!(link.reorderDelay >= 1)) {
    throw new RangeError(`SimNetwork: reorderDelay must be >= 1, got ${link.reorderDelay}`);
  }
  if (!(link.mtu > 0)) throw new RangeError(`SimNetwork: mtu must be > 0, got ${link.mtu}`);
  return link;
}

function emptyStats(): LinkStats {
  return { sent: 0, delivered: 0, dropped: 0, duplicated: 0, oversize: 0, unreachable: 0, bytesSent: 0, largest: 0 };
}

function sameAddress(x: SimAddress, y: SimAddress): boolean {
  return x.address === y.address && x.port === y.port;
}

const setImmediatePromise = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const microtask = (): Promise<void> => Promise.resolve();

export class SimNetwork {
  readonly clock: VirtualClock;
  readonly a: SimEndpoint;
  readonly b: SimEndpoint;
  private readonly links: Record<Direction, ResolvedLink>;
  // One generator per direction, so that tuning one direction's faults does not change
  // which datagrams the other direction loses.
  private readonly rngs: Record<Direction, Rng>;
  private readonly stats: Record<Direction, LinkStats> = { AtoB: emptyStats(), BtoA: emptyStats() };
  private readonly script: ScriptHook | undefined;
  private readonly trace: ((event: SimTraceEvent) => void) | undefined;
  private readonly pump: () => Promise<void>;
  private inFlight: InFlight[] = [];
  private seq = 0;
  private readonly addresses: Record<'A' | 'B', SimAddress>;

  constructor(options: SimNetworkOptions) {
    this.a = options.a;
    this.b = options.b;
    this.clock = options.clock ?? new VirtualClock();
    this.addresses = {
      A: { ...(options.addresses?.a ?? DEFAULT_SIM_ADDRESSES.A) },
      B: { ...(options.addresses?.b ?? DEFAULT_SIM_ADDRESSES.B) },
    };
    if (sameAddress(this.addresses.A, this.addresses.B)) throw new RangeError('SimNetwork: A and B need different addresses');
    this.links = {
      AtoB: resolveLink(options.link, options.aToB),
      BtoA: resolveLink(options.link, options.bToA),
    };
    const root = new Rng(options.seed ?? 1);
    this.rngs = { AtoB: root.fork(), BtoA: root.fork() };
    this.script = options.script;
    this.trace = options.trace;
    const pump = options.pump ?? 'immediate';
    this.pump = pump === 'immediate' ? setImmediatePromise : pump === 'microtask' ? microtask : pump;
  }

  /** The current virtual time. */
  now(): number {
    return this.clock.now();
  }

  /** A snapshot of the cumulative per-direction counters. */
  getStats(): Record<Direction, LinkStats> {
    return { AtoB: { ...this.stats.AtoB }, BtoA: { ...this.stats.BtoA } };
  }

  /** A node's current address. */
  address(endpoint: 'A' | 'B'): SimAddress {
    return { ...this.addresses[endpoint] };
  }

  /**
   * Changes a node's address now, as a NAT that rebinds it: datagrams it sends from now on come
   * from `to` (default: the same address, the next port), and datagrams in flight to its old
   * address are lost when they arrive (`unreachable`). Returns the new address.
   */
  rebind(endpoint: 'A' | 'B', to?: SimAddress): SimAddress {
    const from = this.addresses[endpoint];
    const next: SimAddress = to ? { ...to } : { address: from.address, port: from.port >= 65535 ? 1024 : from.port + 1 };
    const other = this.addresses[endpoint === 'A' ? 'B' : 'A'];
    if (sameAddress(next, other) || sameAddress(next, from)) throw new RangeError(`SimNetwork: cannot rebind ${endpoint} to ${next.address}:${next.port}`);
    this.addresses[endpoint] = next;
    this.trace?.({ type: 'rebind', time: this.clock.now(), endpoint, from: { ...from }, to: { ...next } });
    return { ...next };
  }

  /** Datagrams currently in flight. */
  pending(): number {
    return this.inFlight.length;
  }

  /**
   * Puts a datagram on the wire towards the receiver of `dir`, bypassing faults, the
   * MTU, the script and the counters: an attacker's or a stray packet. `from` (default: the
   * sender's address) lets it claim any source address (spoofing).
   */
  inject(dir: Direction, datagram: Uint8Array, delay = 0, from?: SimAddress): void {
    const sender = dir === 'AtoB' ? 'A' : 'B';
    const receiver = dir === 'AtoB' ? 'B' : 'A';
    const route = { from: { ...(from ?? this.addresses[sender]) }, to: { ...this.addresses[receiver] } };
    this.enqueue(dir, -1, datagram, this.clock.now() + delay, route);
  }

  /** Collects what both endpoints want to send and puts it on the links. */
  flush(): void {
    this.collect('AtoB', this.a);
    this.collect('BtoA', this.b);
  }

  /**
   * Advances virtual time event by event until `until()` holds or a bound is hit.
   * Async because it yields between steps (see `pump`); never waits for real time.
   */
  async run(options: RunOptions = {}): Promise<RunResult> {
    const until = options.until ?? ((): boolean => false);
    const maxTime = options.maxTime ?? 600_000;
    const maxSteps = options.maxSteps ?? 100_000;
    const start = this.clock.now();
    const deadline = start + maxTime;
    let steps = 0;

    const finish = (reason: StopReason): RunResult => ({
      reason,
      ok: reason === 'until',
      time: this.clock.now(),
      elapsed: this.clock.now() - start,
      steps,
      stats: this.getStats(),
    });

    // Endpoints may have queued output before the run (a client's first ClientHello).
    this.flush();
    for (;;) {
      if (until()) return finish('until');
      if (steps >= maxSteps) return finish('maxSteps');

      let next = this.nextEvent();
      if (next === undefined) {
        // Nothing scheduled: give pending promises (an async lookup) one chance to
        // produce output or arm a timer before declaring the network idle.
        await this.pump();
        this.flush();
        if (until()) return finish('until');
        next = this.nextEvent();
        if (next === undefined) return finish('idle');
      }
      if (next.time > deadline) {
        this.clock.advanceTo(Math.max(this.clock.now(), deadline));
        return finish('maxTime');
      }
      // A timer already in the past fires now: time never goes backwards.
      this.clock.advanceTo(Math.max(this.clock.now(), next.time));
      const now = this.clock.now();
      steps++;

      if (next.kind === 'deliver') {
        const item = next.item;
        this.inFlight.splice(next.position, 1);
        const receiver = item.dir === 'AtoB' ? this.b : this.a;
        const at = this.addresses[item.dir === 'AtoB' ? 'B' : 'A'];
        if (!sameAddress(item.to, at)) {
          // Addressed to where the receiver was before it rebound: no one there any more.
          if (item.index >= 0) this.stats[item.dir].unreachable++;
          this.trace?.({ type: 'unreachable', time: now, dir: item.dir, index: item.index, size: item.datagram.length, to: item.to });
        } else {
          // Injected datagrams (index -1) stay out of the counters.
          if (item.index >= 0) this.stats[item.dir].delivered++;
          this.trace?.({ type: 'deliver', time: now, dir: item.dir, index: item.index, size: item.datagram.length });
          receiver.receive(item.datagram, now, { ...item.from });
        }
      } else {
        this.trace?.({ type: 'timeout', time: now, endpoint: next.endpoint === this.a ? 'A' : 'B' });
        next.endpoint.handleTimeout(now);
      }
      this.flush();
      await this.pump();
      // What settled during the pump (an async lookup finishing) goes out at the same
      // virtual instant.
      this.flush();
    }
  }

  private nextEvent():
    | { kind: 'deliver'; time: number; item: InFlight; position: number }
    | { kind: 'timer'; time: number; endpoint: SimEndpoint }
    | undefined {
    let best: { kind: 'deliver'; time: number; item: InFlight; position: number } | undefined;
    for (let position = 0; position < this.inFlight.length; position++) {
      const item = this.inFlight[position];
      if (item === undefined) continue;
      if (
        best === undefined ||
        item.deliverAt < best.item.deliverAt ||
        (item.deliverAt === best.item.deliverAt && item.seq < best.item.seq)
      ) {
        best = { kind: 'deliver', time: item.deliverAt, item, position };
      }
    }
    let timer: { kind: 'timer'; time: number; endpoint: SimEndpoint } | undefined;
    for (const endpoint of [this.a, this.b]) {
      const t = endpoint.nextTimeout();
      if (t === undefined) continue;
      if (!Number.isFinite(t)) throw new RangeError(`SimNetwork: nextTimeout() returned ${t}`);
      if (timer === undefined || t < timer.time) timer = { kind: 'timer', time: t, endpoint };
    }
    // On a tie the datagram goes first: it arrived "by" the deadline, and a real
    // engine would usually see it before its timer fires.
    if (best !== undefined && (timer === undefined || best.time <= timer.time)) return best;
    return timer;
  }

  private collect(dir: Direction, endpoint: SimEndpoint): void {
    const datagrams = endpoint.datagramsToSend();
    if (datagrams.length === 0) return;
    // Where they go: the endpoint's idea of its peer's address when it has one, else the peer's address.
    const route = {
      from: { ...this.addresses[dir === 'AtoB' ? 'A' : 'B'] },
      to: { ...(endpoint.peerAddress ?? this.addresses[dir === 'AtoB' ? 'B' : 'A']) },
    };
    for (const datagram of datagrams) this.send(dir, datagram, route);
  }

  private send(dir: Direction, datagram: Uint8Array, route: Route): void {
    const stats = this.stats[dir];
    const link = this.links[dir];
    const index = stats.sent;
    const now = this.clock.now();
    stats.sent++;
    stats.bytesSent += datagram.length;
    stats.largest = Math.max(stats.largest, datagram.length);
    this.trace?.({ type: 'send', time: now, dir, index, size: datagram.length });

    if (datagram.length > link.mtu) {
      stats.oversize++;
      this.trace?.({ type: 'oversize', time: now, dir, index, size: datagram.length });
      return;
    }
    // Copy: the endpoint may reuse its buffer, and a script may mutate what it returns.
    const copy = datagram.slice();
    const decision = this.script?.(dir, index, copy) ?? 'deliver';
    if (decision === 'drop') {
      stats.dropped++;
      this.trace?.({ type: 'drop', time: now, dir, index, size: datagram.length, by: 'script' });
      return;
    }
    if (decision === 'deliver') {
      this.transmit(dir, index, copy, route);
      return;
    }
    if (decision.length === 0) {
      stats.dropped++;
      this.trace?.({ type: 'drop', time: now, dir, index, size: datagram.length, by: 'script' });
      return;
    }
    for (const replacement of decision) this.transmit(dir, index, replacement.slice(), route);
  }

  /** Applies the link's random faults to one datagram and schedules its deliveries. */
  private transmit(dir: Direction, index: number, datagram: Uint8Array, route: Route): void {
    const link = this.links[dir];
    const rng = this.rngs[dir];
    const stats = this.stats[dir];
    const now = this.clock.now();
    if (rng.chance(link.loss)) {
      stats.dropped++;
      this.trace?.({ type: 'drop', time: now, dir, index, size: datagram.length, by: 'loss' });
      return;
    }
    this.enqueue(dir, index, datagram, now + this.delay(link, rng), route);
    if (rng.chance(link.duplicate)) {
      stats.duplicated++;
      this.trace?.({ type: 'duplicate', time: now, dir, index, size: datagram.length });
      // The copy gets its own delay, so it may arrive before or long after the original.
      this.enqueue(dir, index, datagram, now + this.delay(link, rng), route);
    }
  }

  private delay(link: ResolvedLink, rng: Rng): number {
    return link.latency + (rng.chance(link.reorder) ? rng.range(1, Math.floor(link.reorderDelay)) : 0);
  }

  private enqueue(dir: Direction, index: number, datagram: Uint8Array, deliverAt: number, route: Route): void {
    this.inFlight.push({ deliverAt, seq: this.seq++, dir, index, datagram, from: route.from, to: route.to });
  }
}
