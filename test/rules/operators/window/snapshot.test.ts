import { describe, expect, it } from 'vitest'
import { AGGREGATE_FUNCTIONS, type AggregateCall } from '../../../../src/rules/aggregates.js'
import { windowPlan, type WindowOptions } from '../../../../src/rules/operators/window-by.js'
import type { WindowPlan, WindowResult } from '../../../../src/rules/operators/window/base.js'
import { createWindower } from '../../../../src/rules/operators/window/factory.js'

/** Every aggregate function once (count twice: of every event and of present values). */
const CALLS: AggregateCall[] = [
  ...AGGREGATE_FUNCTIONS.map((fn) => ({ fn, arg: 'x', argOffset: 0, p: fn === 'percentile' ? 90 : 0 })),
  { fn: 'count', arg: null, argOffset: 0, p: 0 },
]

type Step =
  | { add: true; key: string; time: number; now: number; x: number | string | null; seq: number }
  | { add: false; now: number }

/** A deterministic pseudo-random run: three keys, gaps long and short, event times a little out of order. */
function steps(seed: number, n: number): Step[] {
  let s = seed
  const rnd = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0
    return s / 2 ** 32
  }
  const out: Step[] = []
  let now = 1_000
  for (let i = 0; i < n; i++) {
    now += Math.floor(rnd() * (rnd() < 0.1 ? 9_000 : 900))
    if (rnd() < 0.2) {
      out.push({ add: false, now })
      continue
    }
    const r = rnd()
    // Mostly numbers; some strings (distinct, first/last keep them) and missing values.
    const x = r < 0.1 ? null : r < 0.2 ? `s${Math.floor(rnd() * 4)}` : Math.round(rnd() * 1000) / 10
    out.push({
      add: true,
      key: `k${Math.floor(rnd() * 3)}`,
      time: now - Math.floor(rnd() * 1500),
      now,
      x,
      seq: i,
    })
  }
  return out
}

/** Runs steps [from, to) on `w`, recording every result as plain JSON (results may be reused). */
function run(
  w: ReturnType<typeof createWindower>,
  plan: WindowPlan,
  all: Step[],
  from: number,
  to: number,
  out: unknown[],
) {
  for (let i = from; i < to; i++) {
    const st = all[i] as Step
    if (!st.add) {
      w.tick(st.now)
      continue
    }
    const event = { seq: st.seq, x: st.x, time: st.time }
    const inputs = plan.aggregates.map((c) => (c.arg === null ? true : c.fn === 'items' ? event : st.x))
    w.add(st.key, st.time, st.now, inputs, event)
  }
  return out
}

function windower(plan: WindowPlan, out: unknown[]) {
  return createWindower(plan, {
    emit: (r: WindowResult) => out.push(JSON.parse(JSON.stringify(r))),
    late: (event, key) => out.push({ late: (event as { seq: number }).seq, key }),
  })
}

const KINDS: [string, WindowOptions<unknown>][] = [
  ['tumbling', { kind: 'tumbling', size: 5000 }],
  ['hopping', { kind: 'hopping', size: 6000, every: 2000 }],
  ['sliding', { kind: 'sliding', size: 4000 }],
  ['session', { kind: 'session', gap: 2500 }],
  ['count', { kind: 'count', size: 4, timeout: 3000 }],
  ['count without timeout', { kind: 'count', size: 3 }],
]

describe('window state saved and restored on another windower (a cluster takeover)', () => {
  for (const [name, options] of KINDS)
    for (const time of ['processing', 'event'] as const)
      for (const aggregates of ['every aggregate', 'items'] as const)
        it(`${name}, ${time} time, ${aggregates}: the results equal an uninterrupted run at every cut`, () => {
          const base = windowPlan({ ...options, time, lateness: time === 'event' ? 1000 : 0 })
          const plan: WindowPlan = aggregates === 'items' ? base : { ...base, aggregates: CALLS }
          for (const seed of [1, 7, 42]) {
            const all = steps(seed, 120)
            const expected: unknown[] = []
            run(windower(plan, expected), plan, all, 0, all.length, expected)
            expect(expected.length).toBeGreaterThan(5)
            for (let cut = 0; cut <= all.length; cut += 7) {
              const got: unknown[] = []
              const first = windower(plan, got)
              run(first, plan, all, 0, cut, got)
              // Through JSON, as in Redis.
              const saved = JSON.parse(JSON.stringify([...first.keys()].map((k) => [k, first.save(k)]))) as [
                string,
                unknown,
              ][]
              const second = windower(plan, got)
              for (const [k, s] of saved) second.restore(k, s)
              run(second, plan, all, cut, all.length, got)
              expect(got, `seed ${seed}, cut ${cut}`).toEqual(expected)
            }
          }
        })

  it('forget drops a key without emitting; save of an unknown key is undefined', () => {
    const plan = windowPlan({ kind: 'tumbling', size: 1000 })
    const out: unknown[] = []
    const w = windower(plan, out)
    w.add('a', 0, 100, [1], { x: 1 })
    w.forget('a')
    w.tick(5000)
    expect(out).toEqual([])
    expect(w.save('a')).toBeUndefined()
    expect([...w.keys()]).toEqual([])
  })
})
