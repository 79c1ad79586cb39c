/**
 * Aggregate functions of windowed rules. An aggregate line in a rule file reads `name: fn(expr)`,
 * e.g. `mean: avg(data.temperature)`, `p95: percentile(data.power, 95)`, `n: count()`.
 * Numeric functions skip values that are not finite numbers (a missing field does not poison a mean).
 */

export const AGGREGATE_FUNCTIONS = [
  'count',
  'sum',
  'avg',
  'min',
  'max',
  'first',
  'last',
  'stddev',
  'percentile',
  'rate',
  'delta',
  'distinct',
] as const
export type AggregateFunction = (typeof AGGREGATE_FUNCTIONS)[number]

export interface AggregateCall {
  /** `items` (not in rule files): the window keeps its values, for `windowBy` without aggregates. */
  fn: AggregateFunction | 'items'
  /** The CEL input expression; null for `count()`. */
  arg: string | null
  /** Offset of `arg` inside the aggregate text (for error positions). */
  argOffset: number
  /** percentile only: 0..100. */
  p: number
}

/** Parses `fn(expr)` / `percentile(expr, p)`; returns an error message when it is not one. */
export function parseAggregateCall(text: string): AggregateCall | string {
  const m = /^\s*([a-z]+)\s*\(([\s\S]*)\)\s*$/.exec(text)
  if (!m) return 'an aggregate reads fn(expression), e.g. avg(data.temperature)'
  const fn = m[1] as AggregateFunction
  if (!AGGREGATE_FUNCTIONS.includes(fn))
    return `unknown aggregate "${fn}"; one of ${AGGREGATE_FUNCTIONS.join(', ')}`
  let inner = m[2] ?? ''
  const argOffset = text.indexOf('(') + 1
  let p = 0
  if (fn === 'percentile') {
    const comma = inner.lastIndexOf(',')
    const pText = comma < 0 ? '' : inner.slice(comma + 1).trim()
    p = Number(pText)
    if (comma < 0 || pText === '' || !Number.isFinite(p) || p < 0 || p > 100)
      return 'percentile reads percentile(expression, p) with 0 <= p <= 100'
    inner = inner.slice(0, comma)
  }
  const arg = inner.trim() === '' ? null : inner
  if (arg === null && fn !== 'count') return `${fn}() needs an input expression`
  return { fn, arg, argOffset, p }
}

/** Folds one window's values of one aggregate. */
export interface Accumulator {
  add(value: unknown, time: number): void
  result(): unknown
  /** Back to empty, so a sliding window can reuse it for every event instead of allocating. */
  reset(): void
  /**
   * Folds in another accumulator of the same call that covers LATER events (hopping windows are
   * merged from their slices in time order).
   */
  merge(other: Accumulator): void
  /**
   * The state as a JSON value (a cluster snapshot of an open window, docs/cluster.md); `load` of it into a
   * fresh accumulator of the same call continues exactly where this one stands. percentile, distinct and
   * items hold one entry per value of the window, so their snapshot grows with the window.
   */
  save(): unknown
  load(state: unknown): void
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)

class Count implements Accumulator {
  n = 0
  constructor(private readonly everyEvent: boolean) {}
  reset() {
    this.n = 0
  }
  add(v: unknown) {
    if (this.everyEvent || (v !== null && v !== undefined)) this.n++
  }
  merge(o: Count) {
    this.n += o.n
  }
  save() {
    return this.n
  }
  load(s: unknown) {
    this.n = s as number
  }
  result() {
    return this.n
  }
}

class Sum implements Accumulator {
  s = 0
  n = 0
  constructor(private readonly mean: boolean) {}
  reset() {
    this.s = 0
    this.n = 0
  }
  add(v: unknown) {
    if (!isNum(v)) return
    this.s += v
    this.n++
  }
  merge(o: Sum) {
    this.s += o.s
    this.n += o.n
  }
  save() {
    return [this.s, this.n]
  }
  load(s: unknown) {
    ;[this.s, this.n] = s as [number, number]
  }
  result() {
    if (this.mean) return this.n ? this.s / this.n : null
    return this.s
  }
}

class Extreme implements Accumulator {
  v: number | null = null
  constructor(private readonly max: boolean) {}
  reset() {
    this.v = null
  }
  add(v: unknown) {
    if (!isNum(v)) return
    if (this.v === null || (this.max ? v > this.v : v < this.v)) this.v = v
  }
  merge(o: Extreme) {
    if (o.v !== null) this.add(o.v)
  }
  save() {
    return this.v
  }
  load(s: unknown) {
    this.v = s as number | null
  }
  result() {
    return this.v
  }
}

class Edge implements Accumulator {
  v: unknown = null
  seen = false
  constructor(private readonly last: boolean) {}
  reset() {
    this.v = null
    this.seen = false
  }
  add(v: unknown) {
    if (v === undefined || v === null) return
    if (this.last || !this.seen) this.v = v
    this.seen = true
  }
  merge(o: Edge) {
    if (o.seen) this.add(o.v)
  }
  save() {
    return [this.v, this.seen]
  }
  load(s: unknown) {
    ;[this.v, this.seen] = s as [unknown, boolean]
  }
  result() {
    return this.v
  }
}

/** Sample standard deviation (n - 1), Welford's running form: stable for long windows. */
class StdDev implements Accumulator {
  n = 0
  mean = 0
  m2 = 0
  reset() {
    this.n = 0
    this.mean = 0
    this.m2 = 0
  }
  add(v: unknown) {
    if (!isNum(v)) return
    this.n++
    const d = v - this.mean
    this.mean += d / this.n
    this.m2 += d * (v - this.mean)
  }
  merge(o: StdDev) {
    if (o.n === 0) return
    const n = this.n + o.n
    const d = o.mean - this.mean
    this.m2 += o.m2 + (d * d * this.n * o.n) / n
    this.mean += (d * o.n) / n
    this.n = n
  }
  save() {
    return [this.n, this.mean, this.m2]
  }
  load(s: unknown) {
    ;[this.n, this.mean, this.m2] = s as [number, number, number]
  }
  result() {
    return this.n > 1 ? Math.sqrt(this.m2 / (this.n - 1)) : null
  }
}

/** In place; insertion sort for the short arrays of typical windows (no comparator calls). */
function sortNumbers(a: number[]): number[] {
  if (a.length > 32) return a.sort((x, y) => x - y)
  for (let i = 1; i < a.length; i++) {
    const v = a[i] as number
    let j = i - 1
    while (j >= 0 && (a[j] as number) > v) {
      a[j + 1] = a[j] as number
      j--
    }
    a[j + 1] = v
  }
  return a
}

/** Linear interpolation between the closest ranks (numpy's default). */
class Percentile implements Accumulator {
  values: number[] = []
  constructor(private readonly p: number) {}
  reset() {
    this.values.length = 0
  }
  add(v: unknown) {
    if (isNum(v)) this.values.push(v)
  }
  merge(o: Percentile) {
    for (const v of o.values) this.values.push(v)
  }
  save() {
    return this.values
  }
  load(s: unknown) {
    this.values = [...(s as number[])]
  }
  result() {
    const n = this.values.length
    if (n === 0) return null
    // Sorting in place is fine: result() ends a window (or a sliding step that resets next).
    const sorted = sortNumbers(this.values)
    const rank = (this.p / 100) * (n - 1)
    const lo = Math.floor(rank)
    const hi = Math.ceil(rank)
    const a = sorted[lo] as number
    const b = sorted[hi] as number
    return a + (b - a) * (rank - lo)
  }
}

/** delta: last - first; rate: that change per second of (event or processing) time. */
class Change implements Accumulator {
  firstV = 0
  firstT = 0
  lastV = 0
  lastT = 0
  n = 0
  constructor(private readonly perSecond: boolean) {}
  reset() {
    this.n = 0
  }
  add(v: unknown, t: number) {
    if (!isNum(v)) return
    if (this.n === 0) {
      this.firstV = v
      this.firstT = t
    }
    this.lastV = v
    this.lastT = t
    this.n++
  }
  merge(o: Change) {
    if (o.n === 0) return
    if (this.n === 0) {
      this.firstV = o.firstV
      this.firstT = o.firstT
    }
    this.lastV = o.lastV
    this.lastT = o.lastT
    this.n += o.n
  }
  save() {
    return [this.firstV, this.firstT, this.lastV, this.lastT, this.n]
  }
  load(s: unknown) {
    ;[this.firstV, this.firstT, this.lastV, this.lastT, this.n] = s as number[] as [
      number,
      number,
      number,
      number,
      number,
    ]
  }
  result() {
    if (this.n < 2) return null
    const delta = this.lastV - this.firstV
    if (!this.perSecond) return delta
    const seconds = (this.lastT - this.firstT) / 1000
    return seconds > 0 ? delta / seconds : null
  }
}

class Distinct implements Accumulator {
  seen = new Set<unknown>()
  reset() {
    this.seen.clear()
  }
  add(v: unknown) {
    if (v === undefined || v === null) return
    this.seen.add(typeof v === 'object' ? JSON.stringify(v) : v)
  }
  merge(o: Distinct) {
    for (const v of o.seen) this.seen.add(v)
  }
  save() {
    return [...this.seen]
  }
  load(s: unknown) {
    this.seen = new Set(s as unknown[])
  }
  result() {
    return this.seen.size
  }
}

/** Keeps every value (a window without aggregates hands its items on). */
class Items implements Accumulator {
  items: unknown[] = []
  reset() {
    this.items = []
  }
  add(v: unknown) {
    this.items.push(v)
  }
  merge(o: Items) {
    for (const v of o.items) this.items.push(v)
  }
  save() {
    return this.items
  }
  load(s: unknown) {
    this.items = [...(s as unknown[])]
  }
  result() {
    return this.items
  }
}

export function createAccumulator(call: AggregateCall): Accumulator {
  switch (call.fn) {
    case 'items':
      return new Items()
    case 'count':
      return new Count(call.arg === null)
    case 'sum':
      return new Sum(false)
    case 'avg':
      return new Sum(true)
    case 'min':
      return new Extreme(false)
    case 'max':
      return new Extreme(true)
    case 'first':
      return new Edge(false)
    case 'last':
      return new Edge(true)
    case 'stddev':
      return new StdDev()
    case 'percentile':
      return new Percentile(call.p)
    case 'rate':
      return new Change(true)
    case 'delta':
      return new Change(false)
    case 'distinct':
      return new Distinct()
  }
}
