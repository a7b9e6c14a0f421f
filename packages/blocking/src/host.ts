import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { evictIfUnchanged, Phase, phaseOf, stepsOf } from './handshake-word.js';
import { allocateLink, C, Link } from './ring.js';

/** The main thread's end of one connection's link: feeds the inbound ring, watches the outbound one. */
export class HostLink extends Link {
  private finished = false;
  private stepsSeen = 0;
  private lastStep: number;

  constructor(ringBytes: number, now: number = performance.now()) {
    super(allocateLink(ringBytes));
    this.lastStep = now;
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
    this.bump(C.IN_SEQ);
    return true;
  }

  /** Queues a datagram for the worker and wakes it; false (dropped, counted) when the ring is full. */
  deliver(datagram: Uint8Array): boolean {
    if (!this.inbound.push(datagram)) {
      Atomics.add(this.ctrl, C.IN_DROPPED, 1);
      return false;
    }
    this.bump(C.IN_SEQ);
    return true;
  }

  /** Hands every datagram the worker queues to `send`, until finish(). Atomics.waitAsync, no postMessage. */
  watch(send: (datagram: Uint8Array) => void): void {
    const loop = (): void => {
      if (this.finished) return;
      const seen = Atomics.load(this.ctrl, C.OUT_SEQ);
      this.observe();
      this.drain(send);
      const w = Atomics.waitAsync(this.ctrl, C.OUT_SEQ, seen);
      if (w.async) void w.value.then(loop);
      else setImmediate(loop);
    };
    loop();
    this.sendFinal = send;
  }

  private sendFinal: ((d: Uint8Array) => void) | undefined;

  private drain(send: (datagram: Uint8Array) => void): void {
    for (let d = this.outbound.pop(); d; d = this.outbound.pop()) send(d);
  }

  /** Asks the worker to close the connection (close_notify) and wakes it. */
  stop(): void {
    Atomics.store(this.ctrl, C.STOP, 1);
    this.bump(C.IN_SEQ);
  }

  /** The task ended: send what is left and release the watcher. */
  finish(): void {
    if (this.finished) return;
    if (this.sendFinal) this.drain(this.sendFinal);
    this.finished = true;
    this.bump(C.OUT_SEQ);
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
