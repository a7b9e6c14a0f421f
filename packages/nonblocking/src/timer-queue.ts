/**
 * One timer for many connections: an indexed binary min-heap of deadlines with a single
 * `setTimeout` armed for the earliest. Scheduling, rescheduling and removing a connection
 * are O(log n); a server with 10 000 connections holds one Node timer, not 10 000.
 */

/** Something with a deadline; `heapIndex` is owned by the queue (-1 when not queued). */
export interface Timed {
  heapIndex: number;
  deadline: number;
  /** Called once the deadline has passed, with a time at least equal to it. */
  onTimer(now: number): void;
}

export class TimerQueue {
  private readonly heap: Timed[] = [];
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Infinity;

  constructor(private readonly now: () => number = () => performance.now()) {}

  get size(): number {
    return this.heap.length;
  }

  /** The earliest deadline queued, if any. */
  get earliest(): number | undefined {
    return this.heap[0]?.deadline;
  }

  /** Sets (or moves, or with `undefined` clears) the deadline of `item`. */
  schedule(item: Timed, deadline: number | undefined): void {
    if (deadline === undefined || !Number.isFinite(deadline)) {
      this.remove(item);
      return;
    }
    if (item.heapIndex >= 0 && this.heap[item.heapIndex] === item) {
      if (item.deadline === deadline) return;
      const up = deadline < item.deadline;
      item.deadline = deadline;
      if (up) this.siftUp(item.heapIndex);
      else this.siftDown(item.heapIndex);
    } else {
      item.deadline = deadline;
      item.heapIndex = this.heap.length;
      this.heap.push(item);
      this.siftUp(item.heapIndex);
    }
    this.arm();
  }

  remove(item: Timed): void {
    const i = item.heapIndex;
    if (i < 0 || this.heap[i] !== item) {
      item.heapIndex = -1;
      return;
    }
    const last = this.heap.pop() as Timed;
    item.heapIndex = -1;
    if (last !== item) {
      this.heap[i] = last;
      last.heapIndex = i;
      this.siftUp(i);
      this.siftDown(last.heapIndex);
    }
    this.arm();
  }

  /** Forgets every item and the timer. */
  clear(): void {
    for (const item of this.heap) item.heapIndex = -1;
    this.heap.length = 0;
    this.disarm();
  }

  private disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
  }

  private arm(): void {
    const first = this.heap[0];
    // A Node timer armed no later than the earliest deadline stays: it fires, hands out nothing
    // that is not due, and arms for what is then first. Connections push their deadlines later
    // at every flight and leave the queue at every close (a client's handshake: a new deadline per
    // flight, an empty queue between connections), and each clearTimeout + setTimeout pair costs
    // more than the one early wake-up it saves. Only an earlier deadline re-arms.
    if (first === undefined || (this.timer !== undefined && this.armedFor <= first.deadline)) return;
    this.disarm();
    this.armedFor = first.deadline;
    this.timer = setTimeout(() => this.fire(), Math.max(0, Math.ceil(first.deadline - this.now())));
    // The sockets keep the process alive while there is anything to time; the timer alone must not.
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    const fired = this.armedFor;
    this.armedFor = Infinity;
    // setTimeout may fire early by a fraction of a ms: hand out at least the deadline that fired.
    const now = Math.max(this.now(), fired);
    const due: Timed[] = [];
    while (this.heap.length > 0 && (this.heap[0] as Timed).deadline <= now) {
      const item = this.heap[0] as Timed;
      this.removeTop();
      due.push(item);
    }
    // One item's throw (a user's event listener) must not cost the others their turn.
    let failure: { error: unknown } | undefined;
    for (const item of due) {
      try {
        item.onTimer(now);
      } catch (error) {
        failure ??= { error };
      }
    }
    this.arm();
    if (failure) {
      const { error } = failure;
      process.nextTick(() => {
        throw error;
      });
    }
  }

  private removeTop(): void {
    const top = this.heap[0] as Timed;
    const last = this.heap.pop() as Timed;
    top.heapIndex = -1;
    if (last !== top) {
      this.heap[0] = last;
      last.heapIndex = 0;
      this.siftDown(0);
    }
  }

  private siftUp(i: number): void {
    const heap = this.heap;
    const item = heap[i] as Timed;
    while (i > 0) {
      const parentIndex = (i - 1) >> 1;
      const parent = heap[parentIndex] as Timed;
      if (parent.deadline <= item.deadline) break;
      heap[i] = parent;
      parent.heapIndex = i;
      i = parentIndex;
    }
    heap[i] = item;
    item.heapIndex = i;
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const item = heap[i] as Timed;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && (heap[r] as Timed).deadline < (heap[l] as Timed).deadline ? r : l;
      const c = heap[child] as Timed;
      if (c.deadline >= item.deadline) break;
      heap[i] = c;
      c.heapIndex = i;
      i = child;
    }
    heap[i] = item;
    item.heapIndex = i;
  }
}
