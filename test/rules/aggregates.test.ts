import { describe, expect, it } from 'vitest'
import { type AggregateCall, createAccumulator, parseAggregateCall } from '../../src/rules/aggregates.js'

function fold(text: string, values: unknown[], times = values.map((_, i) => i * 1000)): unknown {
  const call = parseAggregateCall(text) as AggregateCall
  const acc = createAccumulator(call)
  values.forEach((v, i) => {
    acc.add(call.arg === null ? true : v, times[i] as number)
  })
  return acc.result()
}


/** One call of every aggregate function (docs/rules.md), for the properties all of them must have. */
const EVERY_AGGREGATE = [
  'count()',
  'sum(x)',
  'avg(x)',
  'min(x)',
  'max(x)',
  'first(x)',
  'last(x)',
  'stddev(x)',
  'percentile(x, 90)',
  'rate(x)',
  'delta(x)',
  'distinct(x)',
]

describe('aggregates', () => {
  const xs = [4, 8, null, 6, 2]
  it.each([
    ['count()', 5],
    ['count(data.x)', 4],
    ['sum(data.x)', 20],
    ['avg(data.x)', 5],
    ['min(data.x)', 2],
    ['max(data.x)', 8],
    ['first(data.x)', 4],
    ['last(data.x)', 2],
    ['distinct(data.x)', 4],
    ['delta(data.x)', -2],
  ])('%s', (text, expected) => {
    expect(fold(text, xs)).toBe(expected)
  })

  it('stddev is the sample deviation', () => {
    expect(fold('stddev(data.x)', [2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(2.138, 3)
    expect(fold('stddev(data.x)', [1])).toBeNull()
  })

  it('percentile interpolates between ranks', () => {
    expect(fold('percentile(data.x, 50)', [1, 2, 3, 4])).toBe(2.5)
    expect(fold('percentile(data.x, 95)', [10, 20, 30, 40, 50])).toBeCloseTo(48, 6)
    expect(fold('percentile(data.x, 0)', [3, 1, 2])).toBe(1)
  })

  it('rate is the change per second of time', () => {
    expect(fold('rate(data.e)', [100, 101, 103], [0, 10_000, 20_000])).toBeCloseTo(0.15, 6)
    expect(fold('rate(data.e)', [100])).toBeNull()
  })

  it('numeric aggregates skip what is not a number; avg of none is null', () => {
    expect(fold('avg(data.x)', ['hot', null, undefined])).toBeNull()
    expect(fold('sum(data.x)', ['hot', 3])).toBe(3)
  })

  it.each([
    ['mean(data.x)', /unknown aggregate "mean"/],
    ['avg()', /needs an input/],
    ['percentile(data.x)', /percentile\(expression, p\)/],
    ['percentile(data.x, 101)', /0 <= p <= 100/],
    ['data.x', /fn\(expression\)/],
  ])('rejects %s', (text, message) => {
    expect(parseAggregateCall(text)).toMatch(message)
  })

  it.each(EVERY_AGGREGATE)('%s: merging slices in time order equals one pass (hopping windows)', (text) => {
    const call = parseAggregateCall(text) as AggregateCall
    const values = [3, 7, 7, 1, null, 12, 5, 9, 2]
    const whole = createAccumulator(call)
    const parts = [createAccumulator(call), createAccumulator(call), createAccumulator(call)]
    values.forEach((v, i) => {
      whole.add(v, i * 1000)
      ;(parts[Math.floor(i / 3)] as ReturnType<typeof createAccumulator>).add(v, i * 1000)
    })
    const merged = createAccumulator(call)
    for (const p of parts) merged.merge(p)
    const a = merged.result()
    const b = whole.result()
    if (typeof a === 'number' && typeof b === 'number') expect(a).toBeCloseTo(b, 9)
    else expect(a).toEqual(b)
  })
})

describe('aggregate state saved and loaded (cluster snapshots)', () => {
  const values: unknown[] = [4, 'a', 8, null, 6.5, { k: 1 }, 2, 'a', 9, undefined, 3]
  it.each(['count(x)', ...EVERY_AGGREGATE])('%s: a loaded copy continues (add and merge) like the original', (text) => {
    const call = parseAggregateCall(text) as AggregateCall
    for (let cut = 0; cut <= values.length; cut++) {
      const whole = createAccumulator(call)
      const before = createAccumulator(call)
      values.forEach((v, i) => {
        whole.add(call.arg === null ? true : v, i * 1000)
        if (i < cut) before.add(call.arg === null ? true : v, i * 1000)
      })
      const after = createAccumulator(call)
      after.load(JSON.parse(JSON.stringify(before.save())))
      const rest = createAccumulator(call)
      values.slice(cut).forEach((v, i) => {
        rest.add(call.arg === null ? true : v, (cut + i) * 1000)
      })
      const merged = createAccumulator(call)
      merged.load(JSON.parse(JSON.stringify(before.save())))
      merged.merge(rest)
      values.slice(cut).forEach((v, i) => {
        after.add(call.arg === null ? true : v, (cut + i) * 1000)
      })
      expect(after.result(), `cut ${cut}`).toEqual(whole.result())
      // Merging sums in another order than adding (stddev): equal up to rounding.
      const m = merged.result()
      if (typeof m === 'number') expect(m, `merged at ${cut}`).toBeCloseTo(whole.result() as number, 9)
      else expect(m, `merged at ${cut}`).toEqual(whole.result())
    }
  })
})
