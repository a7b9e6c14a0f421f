/** A connection's events, drained from pollEvent() as they happen so tests can look at them. */
import type { DtlsConnection, DtlsEvent } from '../../src/connection.js';

export type CloseEvent = Extract<DtlsEvent, { type: 'close' }>;

/** The close event of a list, if any. */
export function closeEvent(events: readonly DtlsEvent[]): CloseEvent | undefined {
  return events.find((e): e is CloseEvent => e.type === 'close');
}

export class EventLog {
  readonly events: DtlsEvent[] = [];
  /** The time (the harness's clock) at which handshake-complete was seen. */
  completedAt: number | undefined;

  drain(conn: DtlsConnection | undefined, now: number): void {
    if (!conn) return;
    for (let e = conn.pollEvent(); e; e = conn.pollEvent()) {
      if (e.type === 'handshake-complete') this.completedAt ??= now;
      this.events.push(e);
    }
  }

  /** The application data received, decoded, one string per record. */
  get data(): string[] {
    return this.events.flatMap((e) => (e.type === 'data' ? [new TextDecoder().decode(e.data)] : []));
  }

  get closed(): CloseEvent | undefined {
    return closeEvent(this.events);
  }

  types(): string[] {
    return this.events.map((e) => e.type);
  }
}
