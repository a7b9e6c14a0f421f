/**
 * The memory one connection shares between the main thread (socket side) and its worker
 * (engine side): a control block and two single-producer/single-consumer byte rings of
 * length-prefixed datagrams. Inbound: main thread -> worker; outbound: worker -> main thread.
 * No postMessage per datagram: the producer bumps a sequence word, and Atomics.notify()s it only
 * when the consumer said it sleeps on it (a waiting flag, cleared by the producer that wakes it), so
 * a burst of datagrams costs one wake-up and a busy consumer none (see Link.wake and Link.sleep).
 */

import { CONNECTION_COUNTER_FIELDS, ZERO_CONNECTION_COUNTERS, type ConnectionCounters } from '@dtls-kit/core/internal';
import type { Doorbell } from './doorbell.js';

/** Indices into the Int32Array control block. */
export const C = {
  IN_WPOS: 0,
  IN_RPOS: 1,
  IN_USED: 2,
  OUT_WPOS: 3,
  OUT_RPOS: 4,
  OUT_USED: 5,
  /** Bumped by the main thread for every inbound datagram and for STOP: the worker waits on it. */
  IN_SEQ: 6,
  /** Bumped by the worker when it queued outbound datagrams or finished: the main thread waits on it. */
  OUT_SEQ: 7,
  /** Set by the main thread: STOP_CLOSE (close_notify; server closing) or STOP_SILENT (replaced). */
  STOP: 8,
  IN_DROPPED: 9,
  OUT_DROPPED: 10,
  /** Set by the worker when it picked the connection up (queued -> running). */
  STARTED: 11,
  /** Set by the worker when the connection is over (nothing more will be queued). */
  DONE: 12,
  /**
   * How the handshake stands, written by both threads with compare-and-exchange (see
   * handshake-word.ts): its phase (handshaking, established, evicted by the main thread), whether
   * the worker waits on the peer, and a count of the handshake's steps.
   */
  HANDSHAKE: 13,
  /** 1 while the worker sleeps (or is about to) on IN_SEQ: a producer that finds it set notifies. */
  IN_WAITING: 14,
  /** 1 while the main thread waits on OUT_SEQ: a producer that finds it set notifies. */
  OUT_WAITING: 15,
  /**
   * A long-lived server worker's state (see slot.ts): SLOT_IDLE (waits for a connection),
   * SLOT_ASSIGNED (the main thread queued one: a START frame), SLOT_RETIRED (the worker left after
   * being idle), SLOT_EXIT (the server closes: leave).
   */
  SLOT: 16,
} as const;

/** C.SLOT values. */
export const SLOT_IDLE = 0;
export const SLOT_ASSIGNED = 1;
export const SLOT_RETIRED = 2;
export const SLOT_EXIT = 3;

/**
 * What Atomics.waitAsync returns (spelt out: the published .d.ts must compile for users whose
 * TypeScript `lib` predates es2024, where Atomics.waitAsync is declared).
 */
export type AsyncWait = { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };

/** The waiting flag of each sequence word a thread sleeps on. */
const WAITING_OF: Readonly<Record<number, number>> = { [C.IN_SEQ]: C.IN_WAITING, [C.OUT_SEQ]: C.OUT_WAITING };

/** C.STOP values. */
export const STOP_CLOSE = 1;
/**
 * The connection was replaced by its peer's new one (a restarted client, RFC 6347 4.2.8): end it
 * without a word to the peer, whose address the new connection now holds.
 */
export const STOP_SILENT = 2;

/**
 * What a ring entry holds, besides datagrams. A frame's length word carries its kind in its top
 * byte (a datagram is at most 64 KiB, well under 2^24).
 * - inbound SOURCE: the source address of the datagrams that follow (encodeRemote), sent only
 *   when it differs from the previous one's, so the common case (same address) costs nothing;
 * - outbound REMOTE: the engine moved the peer address there (RFC 9146 6), datagrams that follow go to it;
 * - outbound CONNECTION_ID: a non-empty CID the peer may put in the records it sends us (RFC 9146 3;
 *   in DTLS 1.3 each one a NewConnectionId issued too, RFC 9147 9), as soon as the engine has it;
 * - outbound CLIENT_RANDOM: this handshake's client random, for restart detection (RFC 6347 4.2.8);
 * - inbound START: a new connection for a long-lived server worker (encodeStart), after the SOURCE
 *   frame of its peer; the ring was reset for it, so nothing of the previous connection is left;
 * - outbound RESULT: the connection is over, its outcome as JSON (a WorkerResult); the last frame
 *   the worker writes for it.
 */
export const Frame = {
  DATAGRAM: 0,
  SOURCE: 1,
  REMOTE: 2,
  CONNECTION_ID: 3,
  CLIENT_RANDOM: 4,
  START: 5,
  RESULT: 6,
  /**
   * To the worker: the client's own address, as a load balancer vouched for it in a PROXY v2 header
   * (the server's proxyProtocol), before START and whenever it changes; the connection's remoteAddress.
   */
  CLIENT: 7,
  /**
   * To the worker, instead of START (the server's `handshakes: 'main'`): a connection the main
   * thread handshook, as core's EstablishedSnapshot (handover-frame.ts), after its SOURCE frame.
   */
  HANDOVER: 8,
} as const;
export type Frame = (typeof Frame)[keyof typeof Frame];

const KIND_SHIFT = 24;
const LENGTH_MASK = (1 << KIND_SHIFT) - 1;
const WRAP = -1;

const CONTROL_BYTES = 128;
/**
 * After the control block: the engine's counters (core's CONNECTION_COUNTER_FIELDS, as 64-bit
 * integers: byte counts outgrow 2^31), written by the worker after each pump and read by the main
 * thread for server.stats.
 */
const COUNTER_BYTES = 8 * CONNECTION_COUNTER_FIELDS.length;
const HEADER_BYTES = CONTROL_BYTES + COUNTER_BYTES;
/** Default bytes per ring direction. */
export const DEFAULT_RING_BYTES = 64 * 1024;

export function allocateLink(ringBytes: number): SharedArrayBuffer {
  if (!Number.isInteger(ringBytes) || ringBytes < 4096 || ringBytes % 4 !== 0) {
    throw new RangeError(`ringBytes must be a multiple of 4, at least 4096 (got ${ringBytes})`);
  }
  return new SharedArrayBuffer(HEADER_BYTES + 2 * ringBytes);
}

/** One direction of the link: a byte ring of [int32 length][bytes, padded to 4] entries. */
export class Ring {
  private readonly bytes: Uint8Array;
  private readonly view: DataView;

  constructor(
    private readonly ctrl: Int32Array,
    sab: SharedArrayBuffer,
    offset: number,
    readonly capacity: number,
    private readonly wpos: number,
    private readonly rpos: number,
    private readonly used: number,
  ) {
    this.bytes = new Uint8Array(sab, offset, capacity);
    this.view = new DataView(sab, offset, capacity);
  }

  /** The kind of the entry pop() returned last (Frame). */
  lastKind: number = Frame.DATAGRAM;

  /** Copies `data` in; false (nothing written) when the ring lacks room. Producer side only. */
  push(data: Uint8Array, kind: Frame = Frame.DATAGRAM): boolean {
    if (data.length > LENGTH_MASK) return false;
    const need = 4 + ((data.length + 3) & ~3);
    let w = Atomics.load(this.ctrl, this.wpos);
    const free = this.capacity - Atomics.load(this.ctrl, this.used);
    const tail = this.capacity - w;
    const skip = tail < need ? tail : 0;
    if (need + skip > free) return false;
    if (skip) {
      this.view.setInt32(w, WRAP, true); // wrap marker: the rest of the ring is padding
      w = 0;
    }
    this.view.setInt32(w, data.length | (kind << KIND_SHIFT), true);
    this.bytes.set(data, w + 4);
    w += need;
    if (w === this.capacity) w = 0;
    Atomics.store(this.ctrl, this.wpos, w);
    Atomics.add(this.ctrl, this.used, need + skip);
    return true;
  }

  /** The next entry (a copy; its kind in lastKind), or undefined when empty. Consumer side only. */
  pop(): Uint8Array | undefined {
    if (Atomics.load(this.ctrl, this.used) === 0) return undefined;
    let r = Atomics.load(this.ctrl, this.rpos);
    let freed = 0;
    let word = this.view.getInt32(r, true);
    if (word === WRAP) {
      freed += this.capacity - r;
      r = 0;
      word = this.view.getInt32(r, true);
    }
    const len = word & LENGTH_MASK;
    this.lastKind = word >>> KIND_SHIFT;
    const data = this.bytes.slice(r + 4, r + 4 + len);
    const size = 4 + ((len + 3) & ~3);
    freed += size;
    r += size;
    if (r === this.capacity) r = 0;
    Atomics.store(this.ctrl, this.rpos, r);
    Atomics.sub(this.ctrl, this.used, freed);
    return data;
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A transport address as a frame's bytes ("port address"); rare (only when an address changes), so text will do. */
export function encodeRemote(address: string, port: number): Uint8Array {
  return encoder.encode(`${port} ${address}`);
}

/** The address encodeRemote() wrote; undefined for anything else. */
export function decodeRemote(bytes: Uint8Array): { address: string; port: number } | undefined {
  const text = decoder.decode(bytes);
  const space = text.indexOf(' ');
  const port = Number(text.slice(0, space));
  if (space < 1 || !Number.isInteger(port) || port < 0 || port > 65_535) return undefined;
  return { address: text.slice(space + 1), port };
}

/** Both rings and the control block of one connection's shared memory. */
export class Link {
  readonly ctrl: Int32Array;
  /** The engine's counters (see COUNTER_BYTES). */
  private readonly counters: BigInt64Array;
  readonly inbound: Ring;
  readonly outbound: Ring;

  constructor(readonly sab: SharedArrayBuffer) {
    const ringBytes = (sab.byteLength - HEADER_BYTES) / 2;
    this.ctrl = new Int32Array(sab, 0, CONTROL_BYTES / 4);
    this.counters = new BigInt64Array(sab, CONTROL_BYTES, CONNECTION_COUNTER_FIELDS.length);
    this.inbound = new Ring(this.ctrl, sab, HEADER_BYTES, ringBytes, C.IN_WPOS, C.IN_RPOS, C.IN_USED);
    this.outbound = new Ring(this.ctrl, sab, HEADER_BYTES + ringBytes, ringBytes, C.OUT_WPOS, C.OUT_RPOS, C.OUT_USED);
  }

  /**
   * Worker side, a server's: the doorbell its main thread watches for every worker's link (see
   * doorbell.ts). Set, the main thread is woken through it instead of this link's OUT_SEQ.
   */
  doorbell: Doorbell | undefined;

  /** What this side last wrote (worker side), so that a pump that changed nothing costs no BigInt. */
  private readonly written: number[] = CONNECTION_COUNTER_FIELDS.map(() => 0);

  /** Worker side: the engine's counters now (only values that changed are written). */
  writeCounters(stats: ConnectionCounters): void {
    const written = this.written;
    for (let i = 0; i < CONNECTION_COUNTER_FIELDS.length; i++) {
      const field = CONNECTION_COUNTER_FIELDS[i];
      if (field === undefined) continue;
      const value = stats[field];
      if (written[i] === value) continue;
      written[i] = value;
      Atomics.store(this.counters, i, BigInt(value));
    }
  }

  /** Worker side, when its link is given a new connection (the main thread zeroed the shared counters). */
  forgetWritten(): void {
    this.written.fill(0);
  }

  /** Main thread side: the engine's counters as the worker last wrote them. */
  readCounters(): ConnectionCounters {
    const out: Record<keyof ConnectionCounters, number> = { ...ZERO_CONNECTION_COUNTERS };
    CONNECTION_COUNTER_FIELDS.forEach((field, i) => {
      out[field] = Number(Atomics.load(this.counters, i));
    });
    return out;
  }

  /**
   * Producer side: bumps the sequence word `index` (C.IN_SEQ or C.OUT_SEQ) and wakes its consumer
   * only if it sleeps. The futex protocol: the consumer sets the waiting flag, then waits on the
   * sequence word it read before looking at the ring; the producer bumps the word, then takes the
   * flag. With sequentially consistent atomics either the producer sees the flag (and notifies a
   * consumer that sleeps or is about to find the word changed), or the consumer's flag came after
   * the bump, so its wait finds the word changed and returns at once: no wake-up is lost. The flag
   * is cleared by the waker, so the rest of a burst costs no notify until the consumer sleeps again.
   */
  wake(index: number): void {
    Atomics.add(this.ctrl, index, 1);
    if (index === C.OUT_SEQ && this.doorbell !== undefined) {
      this.doorbell.ring();
      return;
    }
    const flag = WAITING_OF[index];
    if (flag === undefined || Atomics.exchange(this.ctrl, flag, 0) !== 0) Atomics.notify(this.ctrl, index);
  }

  /**
   * Consumer side (a worker): blocks until the sequence word `index` is no longer `seen` (a
   * producer's wake()) or `timeoutMs` passed (undefined: no limit).
   */
  sleep(index: number, seen: number, timeoutMs?: number): void {
    const flag = WAITING_OF[index];
    if (flag !== undefined) Atomics.store(this.ctrl, flag, 1);
    Atomics.wait(this.ctrl, index, seen, timeoutMs);
    if (flag !== undefined) Atomics.store(this.ctrl, flag, 0);
  }

  /** Consumer side, without blocking the thread: sleep()'s protocol with Atomics.waitAsync (call awake() after). */
  sleepAsync(index: number, seen: number, timeoutMs?: number): AsyncWait {
    const flag = WAITING_OF[index];
    if (flag !== undefined) Atomics.store(this.ctrl, flag, 1);
    return Atomics.waitAsync(this.ctrl, index, seen, timeoutMs);
  }

  /** After sleepAsync() resolved: wake-ups are needed no more. */
  awake(index: number): void {
    const flag = WAITING_OF[index];
    if (flag !== undefined) Atomics.store(this.ctrl, flag, 0);
  }

  /**
   * Main thread side, between two connections of a long-lived worker (it wrote the previous one's
   * RESULT and touches only the sequence words, their flags and C.SLOT until the next START): both
   * rings empty, every per-connection word and counter back to zero, so that nothing of one
   * connection (its unread datagrams, its handshake word, its counters) reaches the next.
   */
  reset(): void {
    for (const i of [C.IN_WPOS, C.IN_RPOS, C.IN_USED, C.OUT_WPOS, C.OUT_RPOS, C.OUT_USED, C.STOP, C.IN_DROPPED, C.OUT_DROPPED, C.STARTED, C.DONE, C.HANDSHAKE]) {
      Atomics.store(this.ctrl, i, 0);
    }
    // The bytes themselves stay: a consumer reads only what its producer wrote since (the positions
    // and the used count are zero), and zeroing 2 x ringBytes per connection would cost more than the rest.
    for (let i = 0; i < CONNECTION_COUNTER_FIELDS.length; i++) Atomics.store(this.counters, i, 0n);
  }
}
