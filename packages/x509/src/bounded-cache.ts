/**
 * A least-recently-used map bounded twice: by its number of entries and by the sum of their
 * weights (the bytes an entry holds, as its owner counts them). The certificate caches use it
 * (parsed-certificates.ts, verified-signatures.ts) so that no sequence of peers, however many
 * distinct certificates they send, can make them hold more than a fixed amount of memory.
 */
export class BoundedCache<K, V> {
  /** Insertion order is recency order: a Map iterates its keys oldest first. */
  private readonly entries = new Map<K, { readonly value: V; readonly weight: number }>();
  private totalWeight = 0;

  /** Throws a RangeError unless both bounds are positive integers. */
  constructor(
    readonly maxEntries: number,
    readonly maxWeight: number,
  ) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`maxEntries: ${maxEntries} is not a positive integer`);
    if (!Number.isInteger(maxWeight) || maxWeight < 1) throw new RangeError(`maxWeight: ${maxWeight} is not a positive integer`);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The sum of the weights of the entries held. */
  get weight(): number {
    return this.totalWeight;
  }

  /** The value for `key`, which becomes the most recently used; undefined when absent. */
  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /**
   * Stores `value` as the most recently used entry, evicting the least recently used ones until
   * both bounds hold. A value heavier than maxWeight alone is not stored (and `key` is dropped).
   */
  set(key: K, value: V, weight: number): void {
    this.delete(key);
    if (weight > this.maxWeight) return;
    this.entries.set(key, { value, weight });
    this.totalWeight += weight;
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.totalWeight <= this.maxWeight) break;
      this.entries.delete(oldest);
      this.totalWeight -= entry.weight;
    }
  }

  delete(key: K): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.totalWeight -= entry.weight;
  }

  clear(): void {
    this.entries.clear();
    this.totalWeight = 0;
  }
}
