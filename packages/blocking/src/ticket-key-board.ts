import { MAX_TICKET_KEYS, TICKET_KEY_LENGTH } from '@dtls-kit/core';

/** Int32 words before the keys: the version (odd while the main thread writes), the key count. */
const VERSION = 0;
const COUNT = 1;
const HEADER_BYTES = 8;
/** Reads that found the board being written: tried again, a bounded number of times. */
const MAX_READ_TRIES = 1000;

/**
 * The session-ticket keys (RFC 5077 4) every worker of a blocking server seals and opens tickets
 * with, in shared memory, so that setTicketKeys() or a rotated secrets file reaches workers that
 * are already running: the main thread writes a new list, each worker reads it before its next
 * connection when the version changed. A sequence lock: the version is odd while a write is under
 * way and a read that overlapped one is taken again, so a worker never sees half a list.
 */
export class TicketKeyBoard {
  readonly sab: SharedArrayBuffer;
  private readonly words: Int32Array;
  private readonly bytes: Uint8Array;

  constructor(sab?: SharedArrayBuffer) {
    this.sab = sab ?? new SharedArrayBuffer(HEADER_BYTES + MAX_TICKET_KEYS * TICKET_KEY_LENGTH);
    this.words = new Int32Array(this.sab, 0, 2);
    this.bytes = new Uint8Array(this.sab, HEADER_BYTES);
  }

  /** Main thread only: publishes a new list (checked: 1..16 keys of 48 bytes, newest first). */
  write(keys: readonly Uint8Array[]): void {
    if (!Array.isArray(keys) || keys.length === 0 || keys.length > MAX_TICKET_KEYS) {
      throw new RangeError(`ticketKeys must be a list of 1..${MAX_TICKET_KEYS} keys of ${TICKET_KEY_LENGTH} bytes, newest first`);
    }
    for (const k of keys) {
      if (!(k instanceof Uint8Array) || k.length !== TICKET_KEY_LENGTH) throw new RangeError(`each ticket key must be ${TICKET_KEY_LENGTH} bytes (a 16-byte name, then 32 bytes of secret)`);
    }
    Atomics.add(this.words, VERSION, 1); // odd: writing
    keys.forEach((k, i) => this.bytes.set(k, i * TICKET_KEY_LENGTH));
    Atomics.store(this.words, COUNT, keys.length);
    Atomics.add(this.words, VERSION, 1); // even: done
  }

  /** The version now (changes with every write). */
  version(): number {
    return Atomics.load(this.words, VERSION);
  }

  /** The list and its version; undefined before the first write (or when a writer never let go). */
  read(): { version: number; keys: Uint8Array[] } | undefined {
    for (let tries = 0; tries < MAX_READ_TRIES; tries++) {
      const before = Atomics.load(this.words, VERSION);
      if (before === 0) return undefined;
      if (before % 2 === 1) continue;
      const count = Atomics.load(this.words, COUNT);
      const keys: Uint8Array[] = [];
      for (let i = 0; i < count && i < MAX_TICKET_KEYS; i++) keys.push(this.bytes.slice(i * TICKET_KEY_LENGTH, (i + 1) * TICKET_KEY_LENGTH));
      if (Atomics.load(this.words, VERSION) === before) return { version: before, keys };
    }
    return undefined;
  }
}
