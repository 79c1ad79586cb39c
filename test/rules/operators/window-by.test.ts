import { map } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { agg, aggregate, keyBy, type Window, windowBy } from '../../../src/rules/operators/index.js'
import { marbles } from './marbles.js'

interface Reading {
  device: string
  t: number
  time: number
}

const r = (device: string, t: number, time = 0): Reading => ({ device, t, time })
/** A window as a short string: key[start,end) count and its values. */
const show = (w: Window<Reading>) =>
  `${w.key}[${w.start},${w.end}) n=${w.count} ${JSON.stringify(w.values)}${w.items.length ? ` items=${w.items.map((i) => i.t).join(',')}` : ''}`

describe('windowBy (marble tests on virtual time)', () => {
  it('tumbling, processing time: windows close on the scheduler clock, per key', () => {
    const scheduler = marbles()
    scheduler.run(({ cold, expectObservable }) => {
      const src = cold('a 99ms b 199ms c 999ms |', { a: r('d1', 1), b: r('d2', 5), c: r('d1', 3) })
      const out = src.pipe(
        keyBy((x) => x.device),
        windowBy({
          kind: 'tumbling',
          size: '250ms',
          scheduler,
          tick: 50,
          aggregate: { s: agg.sum((x: Reading) => x.t) },
        }),
        map(show),
      )
      // a at 0 and b at 100 close at the tick at 250; c at 301 closes at the tick at 500.
      expectObservable(out).toBe('250ms (xy) 246ms z 799ms |', {
        x: 'd1[0,250) n=1 {"s":1}',
        y: 'd2[0,250) n=1 {"s":5}',
        z: 'd1[250,500) n=1 {"s":3}',
      })
    })
  })

  it('without aggregate a window hands on its items; aggregate() computes the same values', () => {
    const scheduler = marbles()
    scheduler.run(({ cold, expectObservable }) => {
      const src = cold('a 9ms b 9ms c 999ms |', { a: r('d1', 1), b: r('d1', 2), c: r('d1', 6) })
      const out = src.pipe(
        keyBy((x) => x.device),
        windowBy({ kind: 'tumbling', size: 100, scheduler, tick: 100 }),
        aggregate({ mean: agg.avg((x: Reading) => x.t), n: agg.count() }),
        map(show),
      )
      expectObservable(out).toBe('100ms x 919ms |', { x: 'd1[0,100) n=3 {"mean":3,"n":3} items=1,2,6' })
    })
  })

  it('hopping: each value is in size/every windows; empty windows are not emitted', () => {
    const scheduler = marbles()
    scheduler.run(({ cold, expectObservable }) => {
      const src = cold('50ms a 99ms b 999ms |', { a: r('d', 1), b: r('d', 10) })
      const out = src.pipe(
        keyBy((x) => x.device),
        windowBy({
          kind: 'hopping',
          size: 200,
          every: 100,
          scheduler,
          tick: 100,
          aggregate: { s: agg.sum((x: Reading) => x.t) },
        }),
        map(show),
      )
      expectObservable(out).toBe('100ms w 99ms x 99ms y 849ms |', {
        w: 'd[-100,100) n=1 {"s":1}',
        x: 'd[0,200) n=2 {"s":11}',
        y: 'd[100,300) n=1 {"s":10}',
      })
    })
  })

  it('sliding: every value emits the look-back (t - size, t] of its key', () => {
    const scheduler = marbles()
    scheduler.run(({ cold, expectObservable }) => {
      const src = cold('a 99ms b 99ms c |', { a: r('d', 1), b: r('d', 2), c: r('d', 4) })
      const out = src.pipe(
        keyBy((x) => x.device),
        windowBy({
          kind: 'sliding',
          size: 150,
          scheduler,
          tick: 1000,
          aggregate: { s: agg.sum((x: Reading) => x.t) },
        }),
        map((w) => w.values.s),
      )
      // At 200 the look-back (50, 200] no longer holds a.
      expectObservable(out).toBe('a 99ms b 99ms c |', { a: 1, b: 3, c: 6 })
    })
  })

  it('session: a gap of silence ends the session of a key', () => {
    const scheduler = marbles()
    scheduler.run(({ cold, expectObservable }) => {
      const src = cold('a 9ms b 9ms c 999ms |', { a: r('d', 1), b: r('d', 2), c: r('d', 3) })
      const out = src.pipe(
        keyBy((x) => x.device),
        windowBy({ kind: 'session', gap: 50, scheduler, tick: 10, aggregate: { n: agg.count() } }),
        map(show),
      )
      expectObservable(out).toBe('70ms x 949ms |', { x: 'd[0,70) n=3 {"n":3}' })
    })
  })

  it('count: every size values of a key, a partial one after the timeout', () => {
    const scheduler = marbles()
    scheduler.run(({ cold, expectObservable }) => {
      const src = cold('a b c 999ms |', { a: r('d', 1), b: r('d', 2), c: r('d', 3) })
      const out = src.pipe(
        keyBy((x) => x.device),
        windowBy({
          kind: 'count',
          size: 2,
          timeout: 100,
          scheduler,
          tick: 10,
          aggregate: { s: agg.sum((x: Reading) => x.t) },
        }),
        map((w) => w.values.s),
      )
      // a+b at once; c alone when the timeout passes (tick at 110).
      expectObservable(out).toBe('- x 108ms y 891ms |', { x: 3, y: 3 })
    })
  })

  it('event time: per-key watermarks, lateness, and the late side output', () => {
    const scheduler = marbles()
    const late: string[] = []
    scheduler.run(({ cold, expectObservable }) => {
      // d1's clock runs ahead; d2's old reading is not late because of d1. d1's reading at 50 is.
      const src = cold('a b c d 1999ms |', {
        a: r('d1', 1, 1000),
        b: r('d2', 2, 10),
        c: r('d1', 3, 1250),
        d: r('d1', 4, 50),
      })
      const out = src.pipe(
        keyBy((x) => x.device),
        windowBy({
          kind: 'tumbling',
          size: 100,
          time: 'event',
          lateness: 200,
          scheduler,
          tick: 1000,
          late: (x, key, watermark) => late.push(`${key}:${x.t}@${watermark}`),
          aggregate: { s: agg.sum((x: Reading) => x.t) },
        }),
        map(show),
      )
      // At the tick at 1000 the silent keys' watermarks have moved on with the clock: all windows close.
      expectObservable(out).toBe('1000ms (xyz) 998ms |', {
        x: 'd1[1000,1100) n=1 {"s":1}',
        y: 'd1[1200,1300) n=1 {"s":3}',
        z: 'd2[0,100) n=1 {"s":2}',
      })
    })
    expect(late).toEqual(['d1:4@1050'])
  })

  it('rejects bad options when the pipeline is built', () => {
    expect(() => windowBy({ kind: 'hopping', size: 100, every: 30 })).toThrow(/multiple of every/)
    expect(() => windowBy({ kind: 'count', size: 1.5 })).toThrow(/whole number/)
    expect(() => windowBy({ kind: 'session' })).toThrow(/"gap" is required/)
  })
})
