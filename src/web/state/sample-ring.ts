import type { DeviceSample } from './device-board.js'

/**
 * Readings in the same aligned span of this length share one slot (the newest wins): the ring spans
 * capacity × this. 30 s: an hour is 120 points, plenty for a chart of an hour, at a third of the memory of
 * 10 s slots (1.9 instead of 5.8 MB for 1000 climate sensors; this chart is the fallback for when InfluxDB,
 * which has every reading, cannot answer).
 */
export const SAMPLE_SPACING_MS = 30_000
const INITIAL_SLOTS = 8
/** Fields charted per device; more are ignored (a device with hundreds of numeric fields is not charted whole). */
const MAX_FIELDS = 16

/**
 * A device's recent numeric readings for its chart, column by column in typed arrays: one Float64Array of
 * times and one Float32Array per field (NaN where a reading lacked the field). Compared with an object per
 * reading this is ~10× smaller and invisible to the garbage collector (2000 devices × 360 readings were
 * 720k small objects in the old generation). One slot per SAMPLE_SPACING_MS, so a device reporting every
 * second still gets `capacity` × 30 s of history, and most readings only overwrite the newest slot.
 *
 * Values keep float32's ~7 significant digits: a chart needs no more, and a field costs 4 bytes a slot
 * instead of 8 (0.5 instead of 1 KB a device once the hour is full). Times stay exact.
 */
export class SampleRing {
  /**
   * Allocated slots: 8, then `capacity` at once when the ninth slot opens. A device heard for a minute holds
   * 8 slots, not 120; one that keeps reporting gets its whole hour ~4.5 minutes in, so memory levels off
   * there and does not creep for an hour. Growing by doubling did creep, step by step over the hour, and
   * each step left the smaller arrays behind as holes in malloc's heap.
   */
  private length: number
  private times: Float64Array
  private readonly fields = new Map<string, Float32Array>()
  /** Index of the newest slot. */
  private newest = -1
  private count = 0

  constructor(readonly capacity: number) {
    this.length = Math.min(capacity, INITIAL_SLOTS)
    this.times = new Float64Array(this.length)
  }

  /** Whether a reading at `t` goes to a new slot after one at `newest` (see push). */
  static opensSlot(newest: number, t: number): boolean {
    return Math.floor(t / SAMPLE_SPACING_MS) !== Math.floor(newest / SAMPLE_SPACING_MS) || t < newest
  }

  /** A reading's numeric fields (booleans as 0/1) at time `t`, except those in `skip`. */
  push(t: number, data: Readonly<Record<string, unknown>>, skip?: ReadonlySet<string>): void {
    // Slots are aligned to SAMPLE_SPACING_MS of device time; only the newest slot is ever updated. A
    // reading older than the newest slot's starts its own slot (a device clock that jumped back).
    if (this.count === 0 || SampleRing.opensSlot(this.times[this.newest] as number, t)) {
      if (this.count === this.length && this.length < this.capacity) this.grow()
      this.newest = (this.newest + 1) % this.length
      if (this.count < this.length) this.count++
      for (const column of this.fields.values()) column[this.newest] = Number.NaN
    }
    const slot = this.newest
    this.times[slot] = t
    for (const k in data) {
      if (skip?.has(k)) continue
      const x = data[k]
      const v = typeof x === 'number' ? x : typeof x === 'boolean' ? (x ? 1 : 0) : Number.NaN
      // Past float32's range (±3.4e38) a value would read back as Infinity, which JSON sends as null.
      if (!Number.isFinite(Math.fround(v))) continue
      let column = this.fields.get(k)
      if (column === undefined) {
        if (this.fields.size >= MAX_FIELDS) continue
        column = new Float32Array(this.length).fill(Number.NaN)
        this.fields.set(k, column)
      }
      column[slot] = v
    }
  }

  /** Until the ring first fills, its slots are in order 0..count-1, so growing is a copy. */
  private grow(): void {
    this.length = this.capacity
    const times = new Float64Array(this.length)
    times.set(this.times)
    this.times = times
    for (const [k, column] of this.fields) {
      const wider = new Float32Array(this.length).fill(Number.NaN)
      wider.set(column)
      this.fields.set(k, wider)
    }
  }

  get size(): number {
    return this.count
  }

  /** Bytes of its typed arrays (outside the V8 heap): what /metrics sums as tidegate_status_chart_bytes. */
  get bytes(): number {
    let n = this.times.byteLength
    for (const column of this.fields.values()) n += column.byteLength
    return n
  }

  /** Oldest first, as the chart API sends them. */
  toArray(): DeviceSample[] {
    const out: DeviceSample[] = []
    for (let i = this.count - 1; i >= 0; i--) {
      const slot = (this.newest - i + this.length) % this.length
      const v: Record<string, number> = {}
      for (const [k, column] of this.fields) {
        const x = column[slot] as number
        if (!Number.isNaN(x)) v[k] = shortestFloat32(x)
      }
      out.push({ t: this.times[slot] as number, v })
    }
    return out
  }
}

/**
 * The shortest decimal that reads back as the same float32: 21.37 stored comes back as 21.3700008392334,
 * and the chart should show 21.37. Runs only when a chart is read (at most 9 digits settle it).
 */
function shortestFloat32(x: number): number {
  if (!Number.isFinite(x) || Number.isInteger(x)) return x
  for (let digits = 6; digits < 9; digits++) {
    const y = Number(x.toPrecision(digits))
    if (Math.fround(y) === x) return y
  }
  return Number(x.toPrecision(9))
}
