/**
 * The recent seq numbers of one device, direct-mapped: slot `seq % size` holds the last seq that
 * landed there and its payload timestamp. Consecutive seqs use distinct slots, so the last `size`
 * seqs are remembered exactly; memory is 16 bytes per slot and no strings are made on the hot path.
 */
export class SeqWindow {
  private readonly seqs: Float64Array
  private readonly stamps: Float64Array
  private max = Number.NaN

  constructor(readonly size: number) {
    // NaN never equals anything: empty slots match no seq.
    this.seqs = new Float64Array(size).fill(Number.NaN)
    this.stamps = new Float64Array(size).fill(Number.NaN)
  }

  /**
   * Records (seq, stamp) and says whether it was already there. `stamp` is the payload time, or NaN when
   * the payload has none (then the seq alone decides).
   */
  seenBefore(seq: number, stamp: number): boolean {
    if (Number.isNaN(this.max) || seq > this.max) this.max = seq
    else if (seq < this.max - this.size) {
      // Far below anything remembered: the device restarted its counter. Start the window afresh.
      this.seqs.fill(Number.NaN)
      this.max = seq
    }
    const slot = ((seq % this.size) + this.size) % this.size
    const held = this.seqs[slot] as number
    const same = held === seq && (Number.isNaN(stamp) || this.stamps[slot] === stamp)
    // A late, older seq must not evict the newer one sharing its slot.
    if (!same && !(held > seq)) {
      this.seqs[slot] = seq
      this.stamps[slot] = stamp
    }
    return same
  }
}

/**
 * A Map bounded by entry count. When full, an entry not used since it last came round is dropped
 * ("second chance", an LRU approximation): a hit only sets a flag, so the hot path never reorders the Map.
 */
export class BoundedMap<V> {
  private readonly map = new Map<string, { value: V; used: boolean }>()

  constructor(private readonly max: number) {}

  get size(): number {
    return this.map.size
  }

  /** Returns the value for `key`, creating it when absent. */
  touch(key: string, create: () => V): V {
    const hit = this.map.get(key)
    if (hit) {
      hit.used = true
      return hit.value
    }
    if (this.map.size >= this.max) this.evictOne()
    const value = create()
    this.map.set(key, { value, used: false })
    return value
  }

  private evictOne(): void {
    // Each pass clears at least one flag, so this ends within size + 1 steps.
    for (;;) {
      const first = this.map.entries().next()
      if (first.done) return
      const [key, entry] = first.value
      this.map.delete(key)
      if (!entry.used) return
      entry.used = false
      this.map.set(key, entry)
    }
  }
}
