import type { OperatorFunction } from 'rxjs'
import { stateful } from './operate.js'

/** A value with the state key it belongs to: windows, alerts and deadman timers are per key. */
export interface Keyed<T> {
  key: string
  value: T
}

/** Tags each value with its state key (`String(keyOf(value))`, '' for null/undefined). */
export function keyBy<T>(keyOf: (value: T) => unknown): OperatorFunction<T, Keyed<T>> {
  return stateful<T, Keyed<T>>((out) => ({
    next(value) {
      out.next({ key: String(keyOf(value) ?? ''), value })
    },
  }))
}
