import type { Event } from '../core/event.js'
import {
  type CompiledExpression,
  compileExpression,
  createEnvironment,
  EVENT_VARIABLES,
  type ExpressionError,
  isExpressionError,
  simplePath,
  toPlain,
} from '../rules/expressions.js'
import { eventContext } from '../rules/scopes.js'

/** Maps an event to its rule partition: hash(partitionBy value) mod partitions. */
export type Partitioner = (event: Event) => number

/**
 * Compiles `cluster.partitionBy` (CEL over the event, the same variables as a rule's `where`).
 * Returns the problem instead when the expression does not parse or type-check.
 */
export function compilePartitioner(
  text: string,
  partitions: number,
  /** Told of each event whose partitionBy failed (it went to the partition of the empty value). */
  onError: () => void = () => {},
): Partitioner | ExpressionError {
  const path = simplePath(text)
  // The common cases read a property instead of evaluating CEL for every event.
  if (path?.root === 'device' && path.field === null) return (e) => partitionOf(e.device, partitions)
  if (path?.root === 'tags' && path.field !== null) {
    const field = path.field
    return (e) => partitionOf(e.tags[field] ?? '', partitions)
  }
  const env = createEnvironment(EVENT_VARIABLES, { current: {}, prev: null })
  const compiled = compileExpression(env, text)
  if (isExpressionError(compiled)) return compiled
  const expr: CompiledExpression = compiled
  return (e) => {
    let value: unknown
    try {
      value = toPlain(expr(eventContext(e)))
    } catch {
      // A missing map key must not stop the event: it goes to the partition of the empty value, counted.
      onError()
      value = ''
    }
    return partitionOf(typeof value === 'string' ? value : JSON.stringify(value ?? ''), partitions)
  }
}

/** FNV-1a (32 bit): stable across nodes and Node versions, cheap, well spread for short ids. */
export function partitionOf(value: string, partitions: number): number {
  let h = 0x811c9dc5
  for (let i = 0; i < value.length; i++) {
    h ^= value.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0) % partitions
}
