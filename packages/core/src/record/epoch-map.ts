/**
 * The epochs one direction of a record layer holds, by epoch number (RFC 6347 4.1), the newest
 * being the current one. DTLS 1.2 keeps the current epoch and the one before it (a retransmitted
 * flight may still be in it); DTLS 1.3 reads several at once (RFC 9147 6.1: epoch 0 for a
 * retransmitted ServerHello, 2 for the handshake, 3 for data), so the set is not fixed to two:
 * the record layer says which to forget.
 *
 * A small array searched from the current epoch, not a Map: a server holds two of these per
 * half-open handshake, and a Map's hash table would cost each a few hundred bytes, while almost
 * every lookup is for the current epoch.
 */
export class EpochMap<T extends { readonly epoch: number }> {
  /** Oldest first; never empty, and its last entry is `newest`. */
  private states: T[];
  private newest: T;

  constructor(first: T) {
    this.states = [first];
    this.newest = first;
  }

  /** The current epoch: the newest one added. */
  get current(): T {
    return this.newest;
  }

  get(epoch: number): T | undefined {
    if (epoch === this.newest.epoch) return this.newest;
    for (const s of this.states) if (s.epoch === epoch) return s;
    return undefined;
  }

  /** Adds an epoch newer than every one held; it becomes the current one. */
  add(state: T): void {
    if (state.epoch <= this.newest.epoch) throw new RangeError(`epoch ${state.epoch} is not newer than the current epoch ${this.newest.epoch}`);
    // A new array of exactly the epochs held: push() (or a spread) would give a one-epoch array
    // room for nineteen, kept for the connection's life; concat() allocates what it returns.
    this.states = this.states.concat([state]);
    this.newest = state;
  }

  /** Forgets every epoch older than `epoch` (the current one always stays). */
  forgetBefore(epoch: number): void {
    if (this.states.length === 1 || this.states.every((s) => s.epoch >= epoch)) return;
    // slice(): filter() grows its result as push() does, with room for sixteen more epochs.
    this.states = this.states.filter((s) => s.epoch >= epoch || s === this.newest).slice();
  }

  /** The epochs held, newest first. */
  newestFirst(): T[] {
    return this.states.slice().reverse();
  }

  get size(): number {
    return this.states.length;
  }
}
