/**
 * The handshakes in progress on a server (cookie verified, not yet finished), with the bounds that
 * keep them fair: `maxHandshakes` in all and `maxHandshakesPerAddress` per address group (see
 * address-group.ts).
 *
 * A cookie (RFC 6347 4.2.1) proves an address, not a peer: one host with many ports passes it as
 * often as it likes and can then stall each handshake (never answer our flight). Two rules keep
 * such a host from locking everyone else out:
 * - one address group holds at most `maxHandshakesPerAddress` slots;
 * - when a bound is reached, the slot whose peer has gone longest without making progress gives
 *   way to the new verified ClientHello — if we are waiting on that peer (not on our own key
 *   lookup or signature) and it has been silent for at least `stalledAfterMs` (the server's first
 *   retransmission timeout: RFC 6347 4.2.4.1 treats a flight unanswered for that long as lost).
 *   Peers that answer keep their slot; a fresh handshake is never pushed out by a burst of newer
 *   ones before it had a round trip's chance to answer (an honest burst is refused, as before,
 *   and gets in with its retransmission, rather than evicting itself).
 *
 * The price: a flood of at least `maxHandshakes / stalledAfterMs` verified ClientHellos per
 * second, from at least `maxHandshakes / maxHandshakesPerAddress` addresses, still keeps the table
 * full of young handshakes (1 000 per second from 16 addresses with the defaults, where 34 per
 * second from one address used to be enough).
 *
 * "Progress" is decided by the caller (a datagram from the peer advanced the handshake): each
 * table keeps its slots in the order of their last progress, so the oldest is the first.
 */

/** Which bound a refusal or an eviction is about. */
export type SlotBound = 'maxHandshakes' | 'maxHandshakesPerAddress';

/** What admitting a new handshake takes. */
export type Admission<T> =
  | { readonly type: 'free' }
  | { readonly type: 'evict'; readonly victim: T; readonly bound: SlotBound; readonly stalledMs: number }
  | { readonly type: 'refuse'; readonly bound: SlotBound };

interface Slot {
  readonly group: string;
  /** When the peer last made progress (the slot's creation first). */
  readonly since: number;
}

export class HandshakeSlots<T> {
  /** Every slot, least recently progressed first (Map keeps insertion order). */
  private readonly slots = new Map<T, Slot>();
  /** The same, per address group. */
  private readonly groups = new Map<string, Map<T, Slot>>();

  constructor(
    readonly maxHandshakes: number,
    readonly maxHandshakesPerAddress: number,
    readonly stalledAfterMs: number,
  ) {}

  /** Handshakes in progress. */
  get size(): number {
    return this.slots.size;
  }

  /** Whether `item` holds a slot. */
  has(item: T): boolean {
    return this.slots.has(item);
  }

  /** Handshakes in progress from one address group. */
  countIn(group: string): number {
    return this.groups.get(group)?.size ?? 0;
  }

  /**
   * Whether a new handshake from `group` fits, needs a stalled one evicted, or must be refused.
   * `waitingOnPeer` tells a handshake that waits for its peer from one that waits for us.
   */
  admit(group: string, now: number, waitingOnPeer: (item: T) => boolean): Admission<T> {
    const own = this.groups.get(group);
    // The address's own bound first: an address at its bound can only push out its own stalled handshakes.
    if (own !== undefined && own.size >= this.maxHandshakesPerAddress) return this.stalled(own, 'maxHandshakesPerAddress', now, waitingOnPeer);
    if (this.slots.size >= this.maxHandshakes) return this.stalled(this.slots, 'maxHandshakes', now, waitingOnPeer);
    return { type: 'free' };
  }

  add(item: T, group: string, now: number): void {
    const slot: Slot = { group, since: now };
    this.slots.set(item, slot);
    let own = this.groups.get(group);
    if (own === undefined) this.groups.set(group, (own = new Map()));
    own.set(item, slot);
  }

  /** The peer advanced its handshake: its slot moves to the back of the line. */
  progressed(item: T, now: number): void {
    const slot = this.slots.get(item);
    if (slot === undefined) return;
    this.remove(item);
    this.add(item, slot.group, now);
  }

  /** The handshake finished, failed or was evicted. Returns false when it held no slot. */
  remove(item: T): boolean {
    const slot = this.slots.get(item);
    if (slot === undefined) return false;
    this.slots.delete(item);
    const own = this.groups.get(slot.group);
    own?.delete(item);
    if (own?.size === 0) this.groups.delete(slot.group);
    return true;
  }

  /** The least recently progressed handshake that waits on a peer silent for stalledAfterMs, if any. */
  private stalled(table: Map<T, Slot>, bound: SlotBound, now: number, waitingOnPeer: (item: T) => boolean): Admission<T> {
    for (const [victim, slot] of table) {
      const stalledMs = now - slot.since;
      // Oldest first: once one is too recent, so are all that follow.
      if (stalledMs < this.stalledAfterMs) break;
      if (waitingOnPeer(victim)) return { type: 'evict', victim, bound, stalledMs };
    }
    return { type: 'refuse', bound };
  }
}
