/**
 * A least-recently-used map bounded by the total size of its values, in bytes. A `Map`
 * keeps insertion order, so re-inserting on access makes the first key the least recently
 * used one: get, set and eviction are O(1) amortised, with no linked list of our own.
 */
export class ByteLru<V> {
  private readonly entries = new Map<string, { value: V; size: number }>();
  private total = 0;

  /** @param maxBytes - the bound on the sum of the sizes given to {@link set}. */
  constructor(readonly maxBytes: number) {}

  /** Bytes held now. */
  get bytes(): number {
    return this.total;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The value, marked as the most recently used. */
  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** The value without changing its recency. */
  peek(key: string): V | undefined {
    return this.entries.get(key)?.value;
  }

  /**
   * Stores a value that takes `size` bytes, evicting the least recently used values until
   * the total fits. A value larger than the whole bound is not stored; returns whether it was.
   */
  set(key: string, value: V, size: number): boolean {
    this.delete(key);
    if (size > this.maxBytes) return false;
    this.entries.set(key, { value, size });
    this.total += size;
    for (const [oldest, entry] of this.entries) {
      if (this.total <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.total -= entry.size;
    }
    return true;
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.total -= entry.size;
  }

  /** Removes every key starting with `prefix` (e.g. one policy instance's entries). */
  deletePrefix(prefix: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.delete(key);
  }

  clear(): void {
    this.entries.clear();
    this.total = 0;
  }
}
