import { Environment } from '@marcbachmann/cel-js'
import { compileFastPath, UNDECIDED } from './cel-fast-path.js'

/**
 * CEL for rule files: one environment per rule, each expression parsed and type-checked once at load,
 * evaluated per event. No JavaScript from rule files ever runs; CEL has no loops or I/O.
 */

/** What `changed(name)` and `prev` compare against: set by the runtime right before an evaluation. */
export interface ChangeScope {
  current: Record<string, unknown>
  prev: Record<string, unknown> | null
}

/** A compiled expression: throws on runtime errors (the caller counts them). */
export type CompiledExpression = (context: Record<string, unknown>) => unknown

export interface ExpressionError {
  /** Offset of the problem inside the expression text. */
  offset: number
  message: string
}

/** Variables every event-level expression (where, key, aggregate inputs, per-event when) sees. */
export const EVENT_VARIABLES: Record<string, string> = {
  device: 'string',
  deviceType: 'string',
  stream: 'string',
  topic: 'string',
  time: 'double',
  data: 'map',
  tags: 'map',
  prev: 'map',
  key: 'string',
}

/** Variables a window result expression (when, clear on windowed rules) sees, besides the aggregate names. */
export const RESULT_VARIABLES: Record<string, string> = {
  device: 'string',
  key: 'string',
  tags: 'map',
  prev: 'map',
  window: 'map',
  time: 'double',
}

const ARITHMETIC = ['+', '-', '*', '/'] as const

function arithmetic(op: (typeof ARITHMETIC)[number], a: number, b: number): number {
  switch (op) {
    case '+':
      return a + b
    case '-':
      return a - b
    case '*':
      return a * b
    case '/':
      return a / b
  }
}

/**
 * A CEL environment with the given variables (all others are errors at load), `changed(name)`, and
 * mixed int/double arithmetic: sensor values are doubles and operators write `mean * 2`, which plain
 * CEL rejects at run time.
 */
export function createEnvironment(variables: Record<string, string>, scope: ChangeScope): Environment {
  const env = new Environment()
  for (const [name, type] of Object.entries(variables)) env.registerVariable(name, type)
  for (const op of ARITHMETIC) {
    env.registerOperator(`double ${op} int`, (a: number, b: bigint) => arithmetic(op, a, Number(b)))
    env.registerOperator(`int ${op} double`, (a: bigint, b: number) => arithmetic(op, Number(a), b))
  }
  env.registerFunction('changed(string): bool', (name: string) => {
    const prev = scope.prev
    if (prev === null || !(name in prev)) return false
    return !sameValue(prev[name], scope.current[name])
  })
  return env
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a === 'object' && typeof b === 'object') return JSON.stringify(a) === JSON.stringify(b)
  return false
}

/**
 * Parses and type-checks one expression. `expect` lists acceptable result types (dyn always passes,
 * since map values are only known at run time).
 */
export function compileExpression(
  env: Environment,
  text: string,
  expect: readonly string[] = [],
): CompiledExpression | ExpressionError {
  try {
    const parsed = env.parse(text)
    const checked = parsed.check()
    if (!checked.valid) return toExpressionError(checked.error)
    const type = checked.type ?? 'dyn'
    if (expect.length && type !== 'dyn' && !expect.includes(type)) {
      return { offset: 0, message: `must be ${expect.join(' or ')}, is ${type}` }
    }
    return withFastPath(parsed as CompiledExpression & { ast?: unknown })
  } catch (err) {
    return toExpressionError(err)
  }
}

/** Conditions in the fast path's subset skip cel-js's evaluator unless the fast path is unsure. */
function withFastPath(parsed: CompiledExpression & { ast?: unknown }): CompiledExpression {
  const fast = compileFastPath(parsed.ast)
  if (fast === null) return parsed
  return (ctx) => {
    const v = fast(ctx)
    return v === UNDECIDED ? parsed(ctx) : v
  }
}

function toExpressionError(err: unknown): ExpressionError {
  const e = err as { summary?: string; message?: string; range?: { start: number } }
  return { offset: e.range?.start ?? 0, message: e.summary ?? e.message ?? String(err) }
}

export function isExpressionError(x: CompiledExpression | ExpressionError): x is ExpressionError {
  return typeof x !== 'function'
}

/** CEL ints arrive as bigint; the rest of the gateway speaks JS numbers. */
export function toPlain(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value)
  return value
}

/**
 * A fast path for the commonest inputs (`data.temperature`, `tags.zone`, `device`): plain property
 * reads instead of a CEL evaluation. Returns null when the text is anything else.
 */
export function simplePath(text: string): { root: string; field: string | null } | null {
  const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)(?:\.([A-Za-z_][A-Za-z0-9_]*))?\s*$/.exec(text)
  if (!m) return null
  return { root: m[1] as string, field: m[2] ?? null }
}
