import { describe, expect, it } from 'vitest'
import { rule, virtualEngine } from './harness.js'

/** A rule that writes every window result; the golden output is the list of written points. */
function windowRule(window: string, extra = '') {
  return rule(`
version: 1
id: w
from: { type: climate-sensor }
window: ${window}
aggregate:
  n: count()
  mean: avg(data.t)
  hi: max(data.t)
${extra}
actions:
  - write: { measurement: out, fields: [n, mean, hi] }
`)
}

type Point = { key?: string; time: number; n?: unknown; mean?: unknown; hi?: unknown }
const points = (v: ReturnType<typeof virtualEngine>): Point[] =>
  v.writes.map((w) => ({ key: w.point.tags.key, time: w.point.time, ...w.point.fields }))

describe('windows on virtual time', () => {
  it('tumbling (processing time): one result per key per window, closed by the clock', () => {
    const v = virtualEngine([windowRule('{ kind: tumbling, size: 10s }')])
    for (const [t, d, x] of [
      [1000, 'a', 1],
      [4000, 'b', 10],
      [9000, 'a', 3],
    ] as const) {
      v.at(t)
      v.send(d, { t: x })
    }
    v.at(9999)
    expect(points(v)).toEqual([]) // nothing closes before its end
    v.at(12_000)
    v.send('a', { t: 5 })
    expect(points(v)).toEqual([
      { key: 'a', time: 0, n: 2, mean: 2, hi: 3 },
      { key: 'b', time: 0, n: 1, mean: 10, hi: 10 },
    ])
    v.at(20_000)
    expect(points(v).slice(2)).toEqual([{ key: 'a', time: 10_000, n: 1, mean: 5, hi: 5 }])
  })

  it('hopping: every event lands in size/every windows', () => {
    const v = virtualEngine([windowRule('{ kind: hopping, size: 30s, every: 10s }')])
    for (const [t, x] of [
      [5000, 1],
      [15_000, 2],
      [25_000, 3],
    ] as const) {
      v.at(t)
      v.send('a', { t: x })
    }
    v.at(60_000)
    expect(points(v).map((p) => [p.time, p.n, p.mean])).toEqual([
      [-20_000, 1, 1],
      [-10_000, 2, 1.5],
      [0, 3, 2],
      [10_000, 2, 2.5],
      [20_000, 1, 3],
    ])
  })

  it('sliding: each event sees the look-back (t - size, t]', () => {
    const v = virtualEngine([windowRule('{ kind: sliding, size: 10s }')])
    for (const [t, x] of [
      [0, 1],
      [4000, 3],
      [9000, 5],
      [14_000, 7],
    ] as const) {
      v.at(t)
      v.send('a', { t: x })
    }
    expect(points(v).map((p) => [p.n, p.mean, p.hi])).toEqual([
      [1, 1, 1],
      [2, 2, 3],
      [3, 3, 5],
      [2, 6, 7], // 0 and 4000 fell out of (4000, 14000]
    ])
  })

  it('sliding in event time: an out-of-order event within lateness joins the look-back in time order', () => {
    const v = virtualEngine([windowRule('{ kind: sliding, size: 10s, time: event, lateness: 5s }')])
    v.send('a', { t: 1 }, { time: 10_000 })
    v.send('a', { t: 3 }, { time: 14_000 })
    v.send('a', { t: 2 }, { time: 12_000 }) // late arrival, inside lateness: sees (2000, 12000]
    v.send('a', { t: 9 }, { time: 21_000 }) // sees (11000, 21000]: 12000, 14000, 21000
    v.send('a', { t: 0 }, { time: 15_000 }) // behind the watermark 16000: late
    expect(points(v).map((p) => [p.time, p.n, p.mean, p.hi])).toEqual([
      [0, 1, 1, 1],
      [4000, 2, 2, 3],
      [2000, 2, 1.5, 2],
      [11_000, 3, 14 / 3, 9],
    ])
    expect(v.deadLetters.map((d) => d.reason)).toEqual(['late'])
  })

  it('session: a gap of silence ends a session; the idle timer closes the last one', () => {
    const v = virtualEngine([windowRule('{ kind: session, gap: 5s }')])
    for (const [t, x] of [
      [0, 1],
      [3000, 2],
      [7000, 3],
      [20_000, 10],
    ] as const) {
      v.at(t)
      v.send('a', { t: x })
    }
    expect(points(v).map((p) => [p.time, p.n, p.mean])).toEqual([[0, 3, 2]])
    v.at(24_999)
    expect(points(v)).toHaveLength(1)
    v.at(25_000)
    expect(points(v).map((p) => [p.time, p.n, p.mean])).toEqual([
      [0, 3, 2],
      [20_000, 1, 10],
    ])
  })

  it('count: every n events per key; timeout closes a partial window', () => {
    const v = virtualEngine([windowRule('{ kind: count, size: 3, timeout: 30s }')])
    for (let i = 1; i <= 7; i++) {
      v.at(i * 1000)
      v.send('a', { t: i })
    }
    expect(points(v).map((p) => [p.n, p.mean])).toEqual([
      [3, 2],
      [3, 5],
    ])
    v.at(36_999)
    expect(points(v)).toHaveLength(2)
    v.at(37_000)
    expect(points(v).map((p) => [p.n, p.mean])).toEqual([
      [3, 2],
      [3, 5],
      [1, 7],
    ])
  })

  it('event time: out-of-order within lateness is counted; behind the watermark is late and dead-lettered', () => {
    const v = virtualEngine([windowRule('{ kind: tumbling, size: 10s, time: event, lateness: 5s }')])
    v.at(100_000) // processing time is irrelevant to placement
    v.send('a', { t: 1 }, { time: 1000 })
    v.send('a', { t: 2 }, { time: 12_000 }) // watermark 7000: window [0,10) still open
    v.send('a', { t: 3 }, { time: 8000 }) // out of order, inside lateness: counted in [0,10)
    expect(points(v)).toEqual([])
    v.send('a', { t: 4 }, { time: 16_000 }) // watermark 11000 closes [0,10)
    expect(points(v)).toEqual([{ key: 'a', time: 0, n: 2, mean: 2, hi: 3 }])
    v.send('a', { t: 99 }, { time: 9000 }) // its window already closed: late
    expect(v.deadLetters).toHaveLength(1)
    expect(v.deadLetters[0]).toMatchObject({ reason: 'late', device: 'a', topic: 'devices/a/telemetry' })
    expect(v.deadLetters[0]?.errors[0]).toMatch(/behind the watermark 11000/)
    expect(v.engine.stats().w?.late).toBe(1)
    expect(points(v)).toHaveLength(1) // the late value changed nothing
  })

  it('event time: watermarks are per key, a slow device is not late because of a fast one', () => {
    const v = virtualEngine([windowRule('{ kind: tumbling, size: 10s, time: event }')])
    v.send('fast', { t: 1 }, { time: 50_000 })
    v.send('slow', { t: 2 }, { time: 1000 })
    expect(v.deadLetters).toHaveLength(0)
  })

  it("event time: a silent key's last window closes by the idle timer", () => {
    const v = virtualEngine([windowRule('{ kind: tumbling, size: 10s, time: event, lateness: 2s }')])
    v.at(1_000_000)
    v.send('a', { t: 5 }, { time: 3000 }) // device clock far behind the gateway's
    v.at(1_008_999) // watermark: 3000 + 8999 - 2000 = 9999
    expect(points(v)).toEqual([])
    v.at(1_009_000)
    expect(points(v)).toEqual([{ key: 'a', time: 0, n: 1, mean: 5, hi: 5 }])
  })

  it('no window: per-event rules evaluate every matching event', () => {
    const r = rule(`
version: 1
id: e
from: { type: climate-sensor }
where: "data.t > 1.0"
actions:
  - write: { measurement: hot, fields: [t] }
`)
    const v = virtualEngine([r])
    v.send('a', { t: 1 })
    v.send('a', { t: 2 })
    v.send('b', { t: 3 }, { type: 'power-meter' })
    expect(v.writes.map((w) => w.point.fields)).toEqual([{ t: 2 }])
  })

  it('keys from a tag: one window per zone', () => {
    const byZone = rule(`
version: 1
id: z
from: { type: climate-sensor }
key: tags.zone
window: { kind: tumbling, size: 10s }
aggregate: { n: count() }
actions:
  - write: { measurement: out, fields: [n] }
`)
    const v = virtualEngine([byZone])
    v.send('a', {}, { tags: { zone: 'north' } })
    v.send('b', {}, { tags: { zone: 'north' } })
    v.send('c', {}, { tags: { zone: 'south' } })
    v.at(10_000)
    expect(points(v).map((p) => [p.key, p.n])).toEqual([
      ['north', 2],
      ['south', 1],
    ])
  })
})
