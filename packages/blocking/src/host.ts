import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { evictIfUnchanged, Phase, phaseOf, stepsOf } from './handshake-word.js';
import { allocateLink, C, encodeRemote, Frame, Link, STOP_CLOSE, STOP_SILENT } from './ring.js';

/** What the worker tells the main thread besides datagrams (see Frame). */
export type ControlHandler = (kind: number, data: Uint8Array) => void;

/** Links given datagrams in this turn of the event loop, whose workers are woken once it is over. */
const due = new Set<Link>();

function wakeDue(): void {
  for (const link of due) link.wake(C.IN_SEQ);
  due.clear();
}

/**
 * Wakes `link`'s worker once the datagrams that arrived together are all queued: node:dgram reads
 * what the socket holds in one poll phase (a peer's flight often comes as several datagrams), and
 * setImmediate runs right after it, so a flight costs one wake-up instead of one per datagram.
 */
function wakeSoon(link: Link): void {
  if (due.size === 0) setImmediate(wakeDue);
  due.add(link);
}

/** The main thread's end of one connection's link: feeds the inbound ring, watches the outbound one. */
export class HostLink extends Link {
  private finished = false;
  /** The established() callback ran (once per link). */
  private announced = false;
  private stepsSeen = 0;
  private lastStep: number;
  /** The source of the last datagram queued, as the worker knows it (its task's remote at first). */
  private sourceAddress: string | undefined;
  private sourcePort = 0;
  private clientAddress: string | undefined;
  private clientPort = 0;

  constructor(ringBytes: number, now: number = performance.now()) {
    super(allocateLink(ringBytes));
    this.lastStep = now;
  }

  /**
   * A long-lived worker's link takes its next connection (the worker is idle: it touches neither
   * ring until it sees the START frame): the shared memory reset (Link.reset) and this thread's
   * view of the previous connection forgotten.
   */
  begin(now: number = performance.now()): void {
    this.reset();
    this.announced = false;
    this.stepsSeen = 0;
    this.lastStep = now;
    this.sourceAddress = undefined;
    this.sourcePort = 0;
    this.clientAddress = undefined;
    this.clientPort = 0;
  }

  /** The source the worker takes for datagrams until told otherwise (the remote of its task). */
  setSource(address: string, port: number): void {
    this.sourceAddress = address;
    this.sourcePort = port;
  }

  /** The vouched client address the worker was last told (Frame.CLIENT); '' : none. */
  setClient(address: string, port: number): void {
    this.clientAddress = address;
    this.clientPort = port;
  }

  /**
   * The handshake word (see handshake-word.ts), read now; notes the time (this thread's clock) when
   * the worker reported a step since the last look.
   */
  observe(now: number = performance.now()): number {
    const word = Atomics.load(this.ctrl, C.HANDSHAKE);
    const steps = stepsOf(word);
    if (steps !== this.stepsSeen) {
      this.stepsSeen = steps;
      this.lastStep = now;
    }
    return word;
  }

  /** When the handshake last moved, as far as this thread saw (its creation at first). */
  get lastStepAt(): number {
    return this.lastStep;
  }

  /**
   * Evicts the handshake if its word is still `seen` (observe()'s value) and wakes the worker, which
   * then ends it with a fatal internal_error alert. False when the handshake moved or finished since.
   */
  evict(seen: number): boolean {
    if (!evictIfUnchanged(this.ctrl, seen)) return false;
    this.wake(C.IN_SEQ);
    return true;
  }

  /**
   * Queues a datagram for the worker and wakes it (once the datagrams that arrived with it are
   * queued too); false (dropped, counted) when the ring is full.
   * With `from`, the worker learns the datagram's source: a SOURCE frame goes first only when it
   * differs from the last one's (a CID-routed record from a new address, RFC 9146 6).
   */
  deliver(datagram: Uint8Array, from?: { readonly address: string; readonly port: number }, client?: { readonly address: string; readonly port: number }): boolean {
    // Behind a load balancer: the address it vouched for with this datagram, when it changed (Frame.CLIENT).
    if (client !== undefined && (client.port !== this.clientPort || client.address !== this.clientAddress)) {
      if (!this.inbound.push(encodeRemote(client.address, client.port), Frame.CLIENT)) {
        Atomics.add(this.ctrl, C.IN_DROPPED, 1);
        return false;
      }
      this.clientAddress = client.address;
      this.clientPort = client.port;
    }
    if (from !== undefined && (from.port !== this.sourcePort || from.address !== this.sourceAddress)) {
      if (!this.inbound.push(encodeRemote(from.address, from.port), Frame.SOURCE)) {
        Atomics.add(this.ctrl, C.IN_DROPPED, 1);
        return false;
      }
      this.sourceAddress = from.address;
      this.sourcePort = from.port;
    }
    if (!this.inbound.push(datagram)) {
      Atomics.add(this.ctrl, C.IN_DROPPED, 1);
      return false;
    }
    wakeSoon(this);
    return true;
  }

  /**
   * Hands every datagram the worker queues to `send`, and every other frame to `control` (in
   * queue order: a REMOTE frame applies to the datagrams after it), until finish(); calls
   * `established` once, as soon as this thread sees the worker's handshake finished (before the
   * datagrams of that wake-up go out). Atomics.waitAsync, no postMessage. The worker wakes this
   * thread only when it waits (Link.wake), so the frames of one pump cost one wake-up.
   */
  watch(send: (datagram: Uint8Array) => void, control?: ControlHandler, established?: () => void): void {
    this.serve(send, control, established);
    const woken = (): void => {
      this.awake(C.OUT_SEQ);
      loop();
    };
    const loop = (): void => {
      if (this.finished) return;
      const seen = Atomics.load(this.ctrl, C.OUT_SEQ);
      this.poll();
      const w = this.sleepAsync(C.OUT_SEQ, seen);
      if (w.async) void w.value.then(woken);
      else setImmediate(woken);
    };
    loop();
  }

  /**
   * As watch(), without a watcher of its own: a server's main thread watches one doorbell for all
   * of its workers' links (doorbell.ts) and calls poll() on each when it rings.
   */
  serve(send: (datagram: Uint8Array) => void, control?: ControlHandler, established?: () => void): void {
    this.control = control;
    this.onEstablished = established;
    this.sendFinal = send;
  }

  /** What the worker queued since the last look: its handshake's step, its end, its frames. */
  poll(): void {
    if (this.finished || this.sendFinal === undefined) return;
    this.observe();
    this.announce();
    this.drain(this.sendFinal);
  }

  private sendFinal: ((d: Uint8Array) => void) | undefined;
  private control: ControlHandler | undefined;
  private onEstablished: (() => void) | undefined;

  /**
   * Runs the established callback if the handshake is done and it has not run yet. Also called
   * when the task ends: a handler that returned at once may end before the watcher woke.
   */
  announce(): void {
    if (this.announced || !this.established) return;
    this.announced = true;
    this.onEstablished?.();
  }

  private drain(send: (datagram: Uint8Array) => void): void {
    const out = this.outbound;
    for (let d = out.pop(); d; d = out.pop()) {
      if (out.lastKind === Frame.DATAGRAM) send(d);
      else this.control?.(out.lastKind, d);
      // A RESULT frame is a connection's last: the link may be begun again for the next one.
      if (out.lastKind === Frame.RESULT) return;
    }
  }

  /** Asks the worker to close the connection (close_notify) and wakes it. */
  stop(): void {
    Atomics.compareExchange(this.ctrl, C.STOP, 0, STOP_CLOSE);
    this.wake(C.IN_SEQ);
  }

  /** Asks the worker to end the connection without a word to its peer (it was replaced) and wakes it. */
  silence(): void {
    Atomics.store(this.ctrl, C.STOP, STOP_SILENT);
    this.wake(C.IN_SEQ);
  }

  /** The task ended: send what is left and release the watcher. */
  finish(): void {
    if (this.finished) return;
    this.announce();
    if (this.sendFinal) this.drain(this.sendFinal);
    this.finished = true;
    this.wake(C.OUT_SEQ);
  }

  get started(): boolean {
    return Atomics.load(this.ctrl, C.STARTED) === 1;
  }

  /** The worker finished the handshake. */
  get established(): boolean {
    return phaseOf(Atomics.load(this.ctrl, C.HANDSHAKE)) === Phase.ESTABLISHED;
  }

  get inDropped(): number {
    return Atomics.load(this.ctrl, C.IN_DROPPED);
  }

  get outDropped(): number {
    return Atomics.load(this.ctrl, C.OUT_DROPPED);
  }
}

/** An option that must be an integer >= 0 (undefined: `fallback`); a RangeError names it otherwise. */
export function nonNegativeInt(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`${name} must be an integer >= 0 (got ${String(value)})`);
  return v;
}

/** A module reference as an import()-able URL string. */
export function moduleHref(ref: URL | string): string {
  if (ref instanceof URL) return ref.href;
  if (/^(file|data|node):/.test(ref)) return ref;
  return pathToFileURL(isAbsolute(ref) ? ref : resolve(ref)).href;
}

/** dist/worker.js, from the ESM build, the CJS build, or the sources under test. */
export function workerFile(): string {
  const here = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
  for (const candidate of [join(here, 'worker.js'), join(here, '..', 'dist', 'worker.js')]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`@dtls-kit/blocking: worker.js not found next to ${here} (build the package first)`);
}
