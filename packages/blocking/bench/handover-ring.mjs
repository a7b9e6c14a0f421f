// A single-producer single-consumer byte ring over a SharedArrayBuffer, for handover-prototype.mjs's
// `--channel ring` (the shape of the blocking runtime's links, not its code): frames of
// [u32 length][bytes]; a consumer about to sleep raises `waiting`, and a producer that finds it
// raised takes it down and notifies, so a busy consumer costs no wake-up.
const HEAD = 0;
const TAIL = 1;
const SEQ = 2;
const WAITING = 3;
const WRAP = 0xffffffff;

export function allocateRing(bytes = 1 << 20) {
  return new SharedArrayBuffer(16 + bytes);
}

export class Ring {
  constructor(sab) {
    this.ctl = new Int32Array(sab, 0, 4);
    this.data = new Uint8Array(sab, 16);
    this.view = new DataView(sab, 16);
    this.cap = this.data.length;
  }

  /** Appends one frame from `parts` (concatenated); false when it does not fit (dropped). */
  push(parts) {
    let len = 0;
    for (const p of parts) len += p.length;
    const need = 4 + len;
    let w = Atomics.load(this.ctl, HEAD);
    const r = Atomics.load(this.ctl, TAIL);
    const used = (w - r + this.cap) % this.cap;
    const free = this.cap - used - 1;
    const wrap = w + need > this.cap;
    if (need + (wrap ? this.cap - w : 0) > free) return false;
    if (wrap) {
      if (w + 4 <= this.cap) this.view.setUint32(w, WRAP);
      w = 0;
    }
    this.view.setUint32(w, len);
    let o = w + 4;
    for (const p of parts) {
      this.data.set(p, o);
      o += p.length;
    }
    Atomics.store(this.ctl, HEAD, o % this.cap);
    Atomics.add(this.ctl, SEQ, 1);
    if (Atomics.exchange(this.ctl, WAITING, 0) === 1) Atomics.notify(this.ctl, SEQ);
    return true;
  }

  /** The next frame (a copy), or undefined. */
  pop() {
    let r = Atomics.load(this.ctl, TAIL);
    if (r === Atomics.load(this.ctl, HEAD)) return undefined;
    if (r + 4 > this.cap || this.view.getUint32(r) === WRAP) r = 0;
    const len = this.view.getUint32(r);
    const frame = this.data.slice(r + 4, r + 4 + len);
    Atomics.store(this.ctl, TAIL, (r + 4 + len) % this.cap);
    return frame;
  }

  get empty() {
    return Atomics.load(this.ctl, TAIL) === Atomics.load(this.ctl, HEAD);
  }

  /** Consumer: blocks (Atomics.wait) until a frame may be there. */
  waitSync(timeoutMs) {
    const s = Atomics.load(this.ctl, SEQ);
    Atomics.store(this.ctl, WAITING, 1);
    if (!this.empty) {
      Atomics.store(this.ctl, WAITING, 0);
      return;
    }
    Atomics.wait(this.ctl, SEQ, s, timeoutMs);
    Atomics.store(this.ctl, WAITING, 0);
  }

  /** Consumer on an event loop: calls `onReady` once a frame may be there. */
  waitAsync(onReady) {
    const s = Atomics.load(this.ctl, SEQ);
    Atomics.store(this.ctl, WAITING, 1);
    if (!this.empty) {
      Atomics.store(this.ctl, WAITING, 0);
      queueMicrotask(onReady);
      return;
    }
    const w = Atomics.waitAsync(this.ctl, SEQ, s);
    if (w.async) w.value.then(() => { Atomics.store(this.ctl, WAITING, 0); onReady(); });
    else { Atomics.store(this.ctl, WAITING, 0); queueMicrotask(onReady); }
  }
}
