/**
 * The last `size` keys seen, in a ring: membership test and insert are O(1), memory is bounded.
 * One per device for duplicate suppression.
 */
export class RecentWindow {
  private readonly ring: (string | undefined)[]
  private readonly members = new Set<string>()
  private next = 0

  constructor(readonly size: number) {
    this.ring = new Array(size)
  }

  has(key: string): boolean {
    return this.members.has(key)
  }

  add(key: string): void {
    if (this.size === 0 || this.members.has(key)) return
    const evicted = this.ring[this.next]
    if (evicted !== undefined) this.members.delete(evicted)
    this.ring[this.next] = key
    this.members.add(key)
    this.next = (this.next + 1) % this.size
  }
}

/** A Map bounded by entry count: when full, the least recently touched key is dropped. */
export class BoundedMap<V> {
  private readonly map = new Map<string, V>()

  constructor(private readonly max: number) {}

  get size(): number {
    return this.map.size
  }

  /** Returns the value for `key`, creating it when absent; marks it most recently used. */
  touch(key: string, create: () => V): V {
    let v = this.map.get(key)
    if (v !== undefined) {
      // Re-insert so Map order stays recency order.
      this.map.delete(key)
    } else {
      v = create()
      if (this.map.size >= this.max) {
        const stalest = this.map.keys().next().value
        if (stalest !== undefined) this.map.delete(stalest)
      }
    }
    this.map.set(key, v)
    return v
  }
}
