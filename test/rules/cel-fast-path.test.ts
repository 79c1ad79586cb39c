import type { Environment } from '@marcbachmann/cel-js'
import { describe, expect, it } from 'vitest'
import { compileFastPath, UNDECIDED } from '../../src/rules/cel-fast-path.js'
import { compileExpression, createEnvironment, isExpressionError } from '../../src/rules/expressions.js'

const VARS = { data: 'map', tags: 'map', mean: 'dyn', device: 'string', time: 'double', prev: 'map' }

function celEnv(): Environment {
  return createEnvironment(VARS, { current: {}, prev: null })
}

/** cel-js's own answer: the value, or the error message. */
function reference(env: Environment, text: string, ctx: Record<string, unknown>): unknown {
  try {
    return env.parse(text)(ctx)
  } catch (err) {
    return `error: ${(err as Error).message}`
  }
}

function viaCompiled(env: Environment, text: string, ctx: Record<string, unknown>): unknown {
  const fn = compileExpression(env, text)
  if (isExpressionError(fn)) throw new Error(fn.message)
  try {
    return fn(ctx)
  } catch (err) {
    return `error: ${(err as Error).message}`
  }
}

const EXPRESSIONS = [
  'data.power > 2900.0',
  'data.power < 2000',
  'data.power >= 2900.0 && data.power <= 3000.0',
  "has(data.temperature) && tags.site == 'greenhouse'",
  "tags.site != 'greenhouse' || data.power == 0",
  '!(data.power > 1.0)',
  '!has(data.power)',
  'mean > 30',
  'mean == 30.0',
  'data.on == true',
  'data.a.b > 1.0',
  'time > 5.0',
  "device == 'dev-1'",
  'prev.power < data.power',
  'mean >= 9007199254740993',
]

const CONTEXTS: Record<string, unknown>[] = [
  { data: { power: 3000, temperature: 21.5, on: true, a: { b: 2 } }, tags: { site: 'greenhouse' }, mean: 31.5 },
  { data: { power: 100, on: false, a: { b: 0 } }, tags: { site: 'barn' }, mean: 30, time: 6, device: 'dev-1' },
  { data: { power: Number.NaN }, tags: {}, mean: Number.NaN, time: 1, device: 'dev-2', prev: { power: 5 } },
  { data: {}, tags: { site: 1 }, mean: null },
  { data: { power: null, temperature: undefined, a: [1] }, tags: { site: 'greenhouse' }, mean: 31n },
  { data: { power: '3000', on: 'yes' }, tags: { site: 'greenhouse' }, mean: 'x' },
  { data: new Map([['power', 3000]]), tags: new Map([['site', 'greenhouse']]), mean: -0 },
  { data: Object.create({ power: 5 }), tags: { site: 'greenhouse' }, mean: 9007199254740992 },
  { data: { power: -Infinity, a: { b: Infinity } }, tags: { site: 'greenhouse' }, mean: Infinity, prev: {} },
]

describe('CEL fast path', () => {
  it('gives exactly what cel-js gives, value or error, for every expression and context', () => {
    const env = celEnv()
    let compared = 0
    for (const text of EXPRESSIONS)
      for (const ctx of CONTEXTS) {
        expect(viaCompiled(env, text, ctx), `${text} on ${JSON.stringify(ctx, replacer)}`).toEqual(
          reference(env, text, ctx),
        )
        compared++
      }
    expect(compared).toBe(EXPRESSIONS.length * CONTEXTS.length)
  })

  it('decides the common cases itself, without asking cel-js', () => {
    const env = celEnv()
    const ctx = CONTEXTS[0] as Record<string, unknown>
    for (const text of [
      'data.power > 2900.0',
      "has(data.temperature) && tags.site == 'greenhouse'",
      'mean > 30',
      '!has(data.x) || data.on == true',
    ]) {
      const fast = compileFastPath(env.parse(text).ast)
      expect(fast, text).not.toBeNull()
      const v = fast?.(ctx)
      expect(v, text).not.toBe(UNDECIDED)
      expect(v, text).toBe(reference(env, text, ctx))
    }
  })

  it('asks cel-js when it is not sure (missing key, mixed types, Maps)', () => {
    const env = celEnv()
    const fast = compileFastPath(env.parse('data.power > 2900.0').ast)
    expect(fast?.({ data: {} })).toBe(UNDECIDED)
    expect(fast?.({ data: { power: '3000' } })).toBe(UNDECIDED)
    expect(fast?.({ data: new Map([['power', 3000]]) })).toBe(UNDECIDED)
  })

  it('leaves arithmetic, functions and macros to cel-js', () => {
    const env = celEnv()
    for (const text of ['mean * 2.0 > 1.0', "changed('mean')", 'data.a in [1.0]', 'size(tags) > 0'])
      expect(compileFastPath(env.parse(text).ast), text).toBeNull()
  })
})

function replacer(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return `${v}n`
  if (v instanceof Map) return Object.fromEntries(v)
  return v
}
