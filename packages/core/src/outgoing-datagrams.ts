/**
 * RFC 9853 2: the anti-amplification limit is three times the data received from an unvalidated
 * address, counting the records from there that were not discarded (the pattern of RFC 9000 8).
 */
export const AMPLIFICATION_FACTOR = 3;

/**
 * The datagrams a connection has ready for its peer, in order. While the peer's address is
 * unvalidated (the peer moved to it, RFC 9146 6) at most AMPLIFICATION_FACTOR times the bytes
 * received from it leave; the rest wait here, at most `maxHeldBytes` (past it the oldest are
 * dropped and counted), and leave as more arrives from that address.
 */
export class OutgoingDatagrams {
  private queue: Uint8Array[] = [];
  private queuedBytes = 0;
  /** Bytes received from and sent to the current, unvalidated address; undefined when it is validated. */
  private unvalidated: { received: number; sent: number } | undefined;
  private droppedDatagrams = 0;

  constructor(private readonly maxHeldBytes: number) {}

  push(datagram: Uint8Array): void {
    this.queue.push(datagram);
    this.queuedBytes += datagram.length;
    if (this.unvalidated !== undefined) this.trim();
  }

  /**
   * A datagram that goes before everything waiting (RFC 9853 5.4: a path_response is not delayed;
   * a path_challenge should not wait behind held data). The budget still applies to it.
   */
  pushFront(datagram: Uint8Array): void {
    this.queue.unshift(datagram);
    this.queuedBytes += datagram.length;
  }

  /** The peer moved to an address not validated: from now on it gets at most 3x what it sends (`received`: the moving datagram). */
  moveToUnvalidated(received: number): void {
    this.unvalidated = { received, sent: 0 };
    this.trim();
  }

  /** The peer is at a validated address again: no bound. */
  validated(): void {
    this.unvalidated = undefined;
  }

  /** A datagram of `bytes` with a record that authenticated arrived from the peer's current address. */
  credit(bytes: number): void {
    if (this.unvalidated !== undefined) this.unvalidated.received += bytes;
  }

  /** What may go to the peer now, oldest first; the rest stays queued. */
  take(): Uint8Array[] {
    const u = this.unvalidated;
    if (u === undefined) {
      // Asked after every datagram received, mostly with nothing to send: no splice() call then.
      if (this.queue.length === 0) return [];
      this.queuedBytes = 0;
      // The whole queue goes: handed over as it is, a new one in its place (no splice() copy).
      const all = this.queue;
      this.queue = [];
      return all;
    }
    const budget = AMPLIFICATION_FACTOR * u.received - u.sent;
    let n = 0;
    let bytes = 0;
    // In order: a datagram that does not fit waits, and so does everything after it.
    for (const d of this.queue) {
      if (bytes + d.length > budget) break;
      bytes += d.length;
      n++;
    }
    u.sent += bytes;
    this.queuedBytes -= bytes;
    return this.queue.splice(0, n);
  }

  /** Whether the peer's current address is bounded (moved there, not validated). */
  get bounded(): boolean {
    return this.unvalidated !== undefined;
  }

  /** Bytes waiting (for the budget of an unvalidated address, or for the next take()). */
  get heldBytes(): number {
    return this.queuedBytes;
  }

  /** Datagrams dropped because more than maxHeldBytes waited for an unvalidated address. */
  get dropped(): number {
    return this.droppedDatagrams;
  }

  private trim(): void {
    while (this.queuedBytes > this.maxHeldBytes) {
      const oldest = this.queue.shift();
      if (oldest === undefined) break;
      this.queuedBytes -= oldest.length;
      this.droppedDatagrams++;
    }
  }
}
