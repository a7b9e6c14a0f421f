/**
 * A client connection seen through the SimEndpoint interface (what driveOverUdp drives),
 * collecting its events as they happen and tapping datagrams both ways.
 */
import type { SimEndpoint } from '../endpoint.js';
import { describeEvents, type InteropClientConnection, type InteropEvent } from './interop-connection.js';
import type { FragmentTap } from './fragment-tap.js';

export class ObservedClient<E extends Error> implements SimEndpoint {
  onWake: (() => void) | undefined;
  readonly events: InteropEvent<E>[] = [];
  readonly received: Uint8Array[] = [];
  private listeners: Array<() => void> = [];

  constructor(
    readonly connection: InteropClientConnection<E>,
    readonly tap: FragmentTap,
  ) {
    connection.onWake = () => this.onWake?.();
  }

  receive(datagram: Uint8Array, now: number): void {
    this.tap.see('in', datagram);
    this.connection.receive(datagram, now);
    this.drain();
  }

  datagramsToSend(): Uint8Array[] {
    this.drain();
    const out = this.connection.datagramsToSend();
    for (const d of out) this.tap.see('out', d);
    return out;
  }

  nextTimeout(): number | undefined {
    return this.connection.nextTimeout();
  }

  handleTimeout(now: number): void {
    this.connection.handleTimeout(now);
    this.drain();
  }

  private drain(): void {
    let changed = false;
    for (let e = this.connection.pollEvent(); e !== undefined; e = this.connection.pollEvent()) {
      this.events.push(e);
      if (e.type === 'data' && e.data !== undefined) this.received.push(e.data);
      changed = true;
    }
    if (changed) for (const l of this.listeners.splice(0)) l();
  }

  get closed(): boolean {
    return this.events.some((e) => e.type === 'close');
  }

  /** The error the connection closed with (undefined while open or after a clean close). */
  get closeError(): E | undefined {
    for (const e of this.events) if (e.type === 'close') return e.error;
    return undefined;
  }

  /** Resolves once `condition` holds (checked after each batch of events), rejects at the deadline. */
  until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (condition()) return resolve();
      const timer = setTimeout(() => {
        this.listeners = this.listeners.filter((l) => l !== check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; events: ${this.describeEvents()}`));
      }, timeoutMs);
      const check = (): void => {
        if (condition()) {
          clearTimeout(timer);
          resolve();
        } else {
          this.listeners.push(check);
        }
      };
      this.listeners.push(check);
    });
  }

  describeEvents(): string {
    return describeEvents(this.events);
  }
}
