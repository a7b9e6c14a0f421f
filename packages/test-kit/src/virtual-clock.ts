/**
 * Virtual time in milliseconds, for driving sans-I/O engines without waiting.
 *
 * The engine never reads a clock; whoever drives it passes `now`. In simulations that
 * `now` comes from here, so a 60-second retransmission back-off takes no real time.
 */
export class VirtualClock {
  private current: number;

  /** @param start the initial time in ms (default 0). */
  constructor(start = 0) {
    if (!Number.isFinite(start)) throw new RangeError(`VirtualClock: start must be finite, got ${start}`);
    this.current = start;
  }

  /** The current virtual time in ms. */
  now(): number {
    return this.current;
  }

  /**
   * Moves time forward to `t`. Time never goes backwards: engines rely on a monotonic
   * clock, and a simulator that rewinds would hide real timer bugs, so this throws.
   */
  advanceTo(t: number): void {
    if (!Number.isFinite(t)) throw new RangeError(`VirtualClock: time must be finite, got ${t}`);
    if (t < this.current) {
      throw new RangeError(`VirtualClock: cannot go back from ${this.current} to ${t}`);
    }
    this.current = t;
  }

  /** Moves time forward by `ms` (>= 0). */
  advanceBy(ms: number): void {
    this.advanceTo(this.current + ms);
  }
}
