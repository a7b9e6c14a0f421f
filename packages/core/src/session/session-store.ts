import { toHex } from '../bytes.js';

/**
 * Where a server keeps sessions by ID (RFC 5246 7.4.1.2) so that a client can resume them. Each
 * method may answer at once or with a Promise (a store shared by processes, in a database...):
 * the handshake waits for `get`; `set` and `delete` are not waited for, and their failures only
 * mean a session that cannot be resumed. The engine checks a session's age and contents itself.
 */
export interface SessionStore {
  get(id: Uint8Array): Uint8Array | undefined | Promise<Uint8Array | undefined>;
  set(id: Uint8Array, session: Uint8Array): void | Promise<void>;
  delete(id: Uint8Array): void | Promise<void>;
}

/** Sessions an in-memory store holds by default (node:tls/OpenSSL: 20 480; ours are about 300 bytes each). */
export const DEFAULT_SESSION_CACHE_SIZE = 10_000;

/**
 * The default store: a bounded in-memory map, least recently used out first. Bounded in count
 * (its `maxEntries`), so a client that makes sessions by the million cannot grow it.
 */
export class MemorySessionStore implements SessionStore {
  private readonly entries = new Map<string, Uint8Array>();

  constructor(readonly maxEntries: number = DEFAULT_SESSION_CACHE_SIZE) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`maxEntries must be an integer >= 1 (got ${String(maxEntries)})`);
  }

  get size(): number {
    return this.entries.size;
  }

  get(id: Uint8Array): Uint8Array | undefined {
    const key = toHex(id);
    const s = this.entries.get(key);
    if (s === undefined) return undefined;
    // Used: to the back of the line (a Map iterates in insertion order).
    this.entries.delete(key);
    this.entries.set(key, s);
    return s;
  }

  set(id: Uint8Array, session: Uint8Array): void {
    const key = toHex(id);
    this.entries.delete(key);
    this.entries.set(key, session);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  delete(id: Uint8Array): void {
    this.entries.delete(toHex(id));
  }
}
