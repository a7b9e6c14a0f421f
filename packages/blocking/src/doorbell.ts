/**
 * One wake-up word for a server's main thread, shared by all of its workers. A worker that queued
 * outbound frames on its link rings it; the main thread, woken once, looks at every worker's link
 * (their outbound rings) before it sleeps again. With a watcher per link, each worker woke the main
 * thread on its own, even while the main thread was awake and about to look anyway; with one
 * doorbell, the workers that ring while it is awake cost it no wake-up at all (and each of them no
 * Atomics.notify: on a VM, waking a sleeping thread costs its waker some 15-30 us).
 *
 * The same futex protocol as the links' sequence words (see Link.wake and Link.sleep in ring.ts):
 * the watcher raises the waiting flag, then waits on the sequence word it read before it looked
 * at the links; a ringer bumps the word, then takes the flag down and notifies only if it was up.
 * Either the ringer sees the flag (and notifies a watcher that sleeps or is about to find the word
 * moved), or the watcher raised it after the bump, so its wait finds the word moved and it looks
 * again at once: no ring is lost.
 */

/** Int32 indices into the doorbell's memory. */
const SEQ = 0;
const WAITING = 1;
const WORDS = 2;

/** What Atomics.waitAsync returns (spelt out, as ring.ts does, for users whose `lib` predates es2024). */
type AsyncWait = { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };

export class Doorbell {
  readonly sab: SharedArrayBuffer;
  private readonly words: Int32Array;
  private watching = false;
  private stopped = false;
  /** The watcher's look (watch()), for rearm(). */
  private look: (() => void) | undefined;
  /** hush() ran and its rearm() has not yet. */
  private hushed = false;
  private readonly rearmSoon = (): void => this.rearm();

  /** A new doorbell (the main thread's), or the one whose memory a worker was given. */
  constructor(sab: SharedArrayBuffer = new SharedArrayBuffer(WORDS * 4)) {
    if (sab.byteLength < WORDS * 4) throw new RangeError(`a doorbell needs ${WORDS * 4} bytes of shared memory (got ${sab.byteLength})`);
    this.sab = sab;
    this.words = new Int32Array(sab, 0, WORDS);
  }

  /** A worker's side: something is queued for the main thread; wakes it only if it sleeps. */
  ring(): void {
    Atomics.add(this.words, SEQ, 1);
    if (Atomics.exchange(this.words, WAITING, 0) !== 0) Atomics.notify(this.words, SEQ);
  }

  /**
   * The main thread's side: calls `look` now, then after every ring, until stop(); between two
   * looks it waits with Atomics.waitAsync (the event loop runs meanwhile). One watcher per doorbell.
   */
  watch(look: () => void): void {
    if (this.watching) throw new Error('the doorbell is already watched');
    this.watching = true;
    this.look = look;
    const woken = (): void => {
      Atomics.store(this.words, WAITING, 0);
      loop();
    };
    const loop = (): void => {
      if (this.stopped) return;
      const seen = Atomics.load(this.words, SEQ);
      look();
      // look() may have stopped it (the last worker left, the server closed).
      if (this.stopped) return;
      Atomics.store(this.words, WAITING, 1);
      const w: AsyncWait = Atomics.waitAsync(this.words, SEQ, seen);
      if (w.async) void w.value.then(woken);
      else setImmediate(woken);
    };
    loop();
  }

  /**
   * The watcher's thread is busy in this turn of its event loop (a datagram came) and looks at
   * every link once the turn's I/O is over (rearm(), in setImmediate): workers that ring meanwhile
   * need no Atomics.notify, and this thread no wake-up task for them — on a VM each of the two
   * costs some 15-30 us, for frames this thread would find a moment later anyway. The protocol
   * stays watch()'s: rearm() raises the waiting flag before it looks, so a ring before the raise
   * is seen by that look and a ring after it notifies the wait still pending.
   */
  hush(): void {
    if (this.hushed || !this.watching || this.stopped) return;
    this.hushed = true;
    Atomics.store(this.words, WAITING, 0);
    setImmediate(this.rearmSoon);
  }

  private rearm(): void {
    this.hushed = false;
    if (this.stopped) return;
    Atomics.store(this.words, WAITING, 1);
    this.look?.();
  }

  /** Ends the watch: the pending wait is released, and `look` is not called again. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    Atomics.add(this.words, SEQ, 1);
    Atomics.notify(this.words, SEQ);
  }
}
