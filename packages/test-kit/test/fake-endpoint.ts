/**
 * Trivial sans-I/O endpoints for testing the simulator and the UDP driver: a pinger that
 * sends "ping:i" and retransmits it with exponential back-off until "pong:i" comes
 * back, and a ponger that answers every ping (optionally asynchronously).
 */
import type { SimEndpoint } from '../src/index.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface PingerOptions {
  /** Number of ping/pong exchanges (sequential). */
  count: number;
  /** The time at which the first ping is queued. */
  now: number;
  /** Initial retransmission timeout in ms (default 100), doubled on each expiry. */
  rto?: number;
  /** Back-off cap in ms (default 8 × rto). */
  maxRto?: number;
  /** Bytes of padding appended to each ping, to exercise the MTU. */
  padding?: number;
}

export class Pinger implements SimEndpoint {
  onWake?: (() => void) | undefined;
  /** Index of the ping awaiting its pong; equals `count` when done. */
  current = 0;
  transmissions = 0;
  retransmissions = 0;
  received: string[] = [];
  private outbox: Uint8Array[] = [];
  private deadline: number | undefined;
  private rto: number;
  private readonly initialRto: number;
  private readonly maxRto: number;

  constructor(private readonly options: PingerOptions) {
    this.initialRto = options.rto ?? 100;
    this.rto = this.initialRto;
    this.maxRto = options.maxRto ?? this.initialRto * 8;
    if (!this.done) this.transmit(options.now);
  }

  get done(): boolean {
    return this.current >= this.options.count;
  }

  receive(datagram: Uint8Array, now: number): void {
    const text = decoder.decode(datagram);
    this.received.push(text);
    if (this.done || text !== `pong:${this.current}`) return; // stale or duplicate pong
    this.current++;
    this.rto = this.initialRto;
    this.deadline = undefined;
    if (!this.done) this.transmit(now);
  }

  datagramsToSend(): Uint8Array[] {
    const out = this.outbox;
    this.outbox = [];
    return out;
  }

  nextTimeout(): number | undefined {
    return this.deadline;
  }

  handleTimeout(now: number): void {
    if (this.deadline === undefined || now < this.deadline) return;
    this.rto = Math.min(this.rto * 2, this.maxRto);
    this.retransmissions++;
    this.transmit(now);
  }

  private transmit(now: number): void {
    const body = `ping:${this.current}` + (this.options.padding ? `|${'x'.repeat(this.options.padding)}` : '');
    this.outbox.push(encoder.encode(body));
    this.transmissions++;
    this.deadline = now + this.rto;
  }
}

export interface PongerOptions {
  /**
   * Answer after an asynchronous lookup (a promise chain of this many hops), then call
   * onWake, like an engine waiting for a PSK from a database. 0: answer synchronously.
   */
  asyncHops?: number;
  /** Ignore the first n pings (forces the pinger to retransmit on a lossless link). */
  ignoreFirst?: number;
  /** Throw from receive() on this ping index (to test error reporting). */
  throwOn?: number;
}

export class Ponger implements SimEndpoint {
  onWake?: (() => void) | undefined;
  received: string[] = [];
  receiveTimes: number[] = [];
  private outbox: Uint8Array[] = [];

  constructor(private readonly options: PongerOptions = {}) {}

  receive(datagram: Uint8Array, now: number): void {
    const text = decoder.decode(datagram);
    this.received.push(text);
    this.receiveTimes.push(now);
    if (this.received.length <= (this.options.ignoreFirst ?? 0)) return;
    const match = /^ping:(\d+)/.exec(text);
    if (match === null) return;
    const index = Number(match[1]);
    if (index === this.options.throwOn) throw new Error(`ponger: refusing ping ${index}`);
    const reply = encoder.encode(`pong:${index}`);
    const hops = this.options.asyncHops ?? 0;
    if (hops === 0) {
      this.outbox.push(reply);
      return;
    }
    let chain: Promise<void> = Promise.resolve();
    for (let i = 1; i < hops; i++) chain = chain.then(() => undefined);
    void chain.then(() => {
      this.outbox.push(reply);
      this.onWake?.();
    });
  }

  datagramsToSend(): Uint8Array[] {
    const out = this.outbox;
    this.outbox = [];
    return out;
  }

  nextTimeout(): number | undefined {
    return undefined;
  }

  handleTimeout(): void {}
}
