/**
 * The memory one connection shares between the main thread (socket side) and its worker
 * (engine side): a control block and two single-producer/single-consumer byte rings of
 * length-prefixed datagrams. Inbound: main thread -> worker; outbound: worker -> main thread.
 * No postMessage per datagram: the producer bumps a sequence word and Atomics.notify()s it.
 */

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
  /** Set by the main thread: close the connection (server closing). */
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
} as const;

const CONTROL_BYTES = 64;
/** Default bytes per ring direction. */
export const DEFAULT_RING_BYTES = 64 * 1024;

export function allocateLink(ringBytes: number): SharedArrayBuffer {
  if (!Number.isInteger(ringBytes) || ringBytes < 4096 || ringBytes % 4 !== 0) {
    throw new RangeError(`ringBytes must be a multiple of 4, at least 4096 (got ${ringBytes})`);
  }
  return new SharedArrayBuffer(CONTROL_BYTES + 2 * ringBytes);
}

/** One direction of the link: a byte ring of [int32 length][bytes, padded to 4] entries. */
export class Ring {
  private readonly bytes: Uint8Array;
  private readonly view: DataView;

  constructor(
    private readonly ctrl: Int32Array,
    sab: SharedArrayBuffer,
    offset: number,
    private readonly capacity: number,
    private readonly wpos: number,
    private readonly rpos: number,
    private readonly used: number,
  ) {
    this.bytes = new Uint8Array(sab, offset, capacity);
    this.view = new DataView(sab, offset, capacity);
  }

  /** Copies `data` in; false (nothing written) when the ring lacks room. Producer side only. */
  push(data: Uint8Array): boolean {
    const need = 4 + ((data.length + 3) & ~3);
    let w = Atomics.load(this.ctrl, this.wpos);
    const free = this.capacity - Atomics.load(this.ctrl, this.used);
    const tail = this.capacity - w;
    const skip = tail < need ? tail : 0;
    if (need + skip > free) return false;
    if (skip) {
      this.view.setInt32(w, -1, true); // wrap marker: the rest of the ring is padding
      w = 0;
    }
    this.view.setInt32(w, data.length, true);
    this.bytes.set(data, w + 4);
    w += need;
    if (w === this.capacity) w = 0;
    Atomics.store(this.ctrl, this.wpos, w);
    Atomics.add(this.ctrl, this.used, need + skip);
    return true;
  }

  /** The next datagram (a copy), or undefined when empty. Consumer side only. */
  pop(): Uint8Array | undefined {
    if (Atomics.load(this.ctrl, this.used) === 0) return undefined;
    let r = Atomics.load(this.ctrl, this.rpos);
    let freed = 0;
    let len = this.view.getInt32(r, true);
    if (len === -1) {
      freed += this.capacity - r;
      r = 0;
      len = this.view.getInt32(r, true);
    }
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

/** Both rings and the control block of one connection's shared memory. */
export class Link {
  readonly ctrl: Int32Array;
  readonly inbound: Ring;
  readonly outbound: Ring;

  constructor(readonly sab: SharedArrayBuffer) {
    const ringBytes = (sab.byteLength - CONTROL_BYTES) / 2;
    this.ctrl = new Int32Array(sab, 0, CONTROL_BYTES / 4);
    this.inbound = new Ring(this.ctrl, sab, CONTROL_BYTES, ringBytes, C.IN_WPOS, C.IN_RPOS, C.IN_USED);
    this.outbound = new Ring(this.ctrl, sab, CONTROL_BYTES + ringBytes, ringBytes, C.OUT_WPOS, C.OUT_RPOS, C.OUT_USED);
  }

  bump(index: number): void {
    Atomics.add(this.ctrl, index, 1);
    Atomics.notify(this.ctrl, index);
  }
}
