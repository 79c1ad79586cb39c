import type { OperatorFunction } from 'rxjs'
import {
  type Accumulator,
  type AggregateCall,
  type AggregateFunction,
  createAccumulator,
} from '../aggregates.js'
import { stateful } from './operate.js'
import type { Window } from './window-by.js'

/** One aggregate of a window: a function of the rule-file list and how to read its input from a value. */
export interface AggregateOf<T> {
  call: AggregateCall
  /** The input of one value; null for `count()` (every value counts). */
  read: ((value: T) => unknown) | null
}

export type AggregateSpec<T> = Record<string, AggregateOf<T>>

function of<T>(fn: AggregateFunction, read: ((value: T) => unknown) | null, p = 0): AggregateOf<T> {
  return { call: { fn, arg: read === null ? null : 'read', argOffset: 0, p }, read }
}

/**
 * The aggregate functions of rule files, for code: `agg.avg((e) => e.data.temperature)`. Numeric ones
 * skip values that are not finite numbers; an aggregate over no numbers is null.
 */
export const agg = {
  /** Values in the window; with `read`: values where it is not null/undefined. */
  count: <T>(read?: (value: T) => unknown) => of<T>('count', read ?? null),
  sum: <T>(read: (value: T) => unknown) => of<T>('sum', read),
  avg: <T>(read: (value: T) => unknown) => of<T>('avg', read),
  min: <T>(read: (value: T) => unknown) => of<T>('min', read),
  max: <T>(read: (value: T) => unknown) => of<T>('max', read),
  first: <T>(read: (value: T) => unknown) => of<T>('first', read),
  last: <T>(read: (value: T) => unknown) => of<T>('last', read),
  stddev: <T>(read: (value: T) => unknown) => of<T>('stddev', read),
  /** 0 ≤ p ≤ 100, linear interpolation between ranks. */
  percentile: <T>(read: (value: T) => unknown, p: number) => {
    if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile: p must be within 0..100, got ${p}`)
    return of<T>('percentile', read, p)
  },
  /** last − first. */
  delta: <T>(read: (value: T) => unknown) => of<T>('delta', read),
  /** delta per second of (event or processing) time. */
  rate: <T>(read: (value: T) => unknown) => of<T>('rate', read),
  distinct: <T>(read: (value: T) => unknown) => of<T>('distinct', read),
}

/** An item's `time` (epoch ms) when it has one (events do), for `rate`; else the window end. */
function timeOf(item: unknown, fallback: number): number {
  const t = (item as { time?: unknown } | null)?.time
  return typeof t === 'number' ? t : fallback
}

/**
 * Aggregates each window's items into `values` (by name). `windowBy({ ..., aggregate })` does the same
 * incrementally and keeps no items: prefer it for big windows; this form suits custom window handling.
 */
export function aggregate<T>(spec: AggregateSpec<T>): OperatorFunction<Window<T>, Window<T>> {
  const entries = Object.entries(spec)
  return stateful<Window<T>, Window<T>>((out) => ({
    next(w) {
      const values: Record<string, unknown> = {}
      for (const [name, a] of entries) {
        const acc: Accumulator = createAccumulator(a.call)
        for (const item of w.items) acc.add(a.read === null ? true : a.read(item), timeOf(item, w.end))
        values[name] = acc.result()
      }
      out.next({ ...w, values })
    },
  }))
}
