/**
 * The retransmission timer of RFC 6347 4.2.4.1: 1 s initially, doubled at each
 * retransmission, capped at 60 s (both configurable). Time is passed in; nothing here reads a clock.
 */
export interface RetransmitOptions {
  /** First timeout in ms (RFC 6347 4.2.4.1 recommends 1000). */
  initialMs?: number;
  /** Cap on the doubled timeout in ms (at least RFC 6298's 60 s by default). */
  maxMs?: number;
}

export class RetransmitTimer {
  readonly initialMs: number;
  readonly maxMs: number;
  private currentMs: number;
  private deadlineAt: number | undefined;

  constructor(options: RetransmitOptions = {}) {
    this.initialMs = options.initialMs ?? 1000;
    this.maxMs = options.maxMs ?? 60_000;
    if (!(this.initialMs > 0) || !(this.maxMs >= this.initialMs)) {
      throw new RangeError(`retransmit timer: need 0 < initialMs <= maxMs (got ${this.initialMs}, ${this.maxMs})`);
    }
    this.currentMs = this.initialMs;
  }

  /** Absolute time at which the flight must be sent again, if armed. */
  get deadline(): number | undefined {
    return this.deadlineAt;
  }

  /** The timeout the timer is armed with next (it doubles at each expiry). */
  get currentTimeoutMs(): number {
    return this.currentMs;
  }

  /** Arms the timer for a flight just sent (a new flight starts from the initial value). */
  start(now: number, fresh: boolean): void {
    if (fresh) this.currentMs = this.initialMs;
    this.deadlineAt = now + this.currentMs;
  }

  /** The timer fired: double the value (RFC 6347 4.2.4.1) and re-arm it. */
  backoff(now: number): void {
    this.currentMs = Math.min(this.currentMs * 2, this.maxMs);
    this.deadlineAt = now + this.currentMs;
  }

  stop(): void {
    this.deadlineAt = undefined;
  }

  expired(now: number): boolean {
    return this.deadlineAt !== undefined && now >= this.deadlineAt;
  }
}
