import { map, Subject } from 'rxjs'
import { describe, it } from 'vitest'
import { type AlertChange, alertState, keyBy } from '../../../src/rules/operators/index.js'
import { marbles } from './marbles.js'

interface Reading {
  device: string
  t: number
}
const r = (device: string, t: number): Reading => ({ device, t })
const show = (a: AlertChange<{ key: string; value: Reading }>) =>
  `${a.key}:${a.state}${a.repeat ? `#${a.repeat}` : ''}@${a.at}${a.acknowledged ? ` by ${a.acknowledged.by}` : ''}`

describe('alertState (marble tests on virtual time)', () => {
  it('hysteresis: raise above 30, clear only below 28; per key', () => {
    const scheduler = marbles()
    scheduler.run(({ cold, expectObservable }) => {
      const src = cold('a b c d e f |', {
        a: r('d1', 31),
        b: r('d2', 29),
        c: r('d1', 29),
        d: r('d2', 32),
        e: r('d1', 27),
        f: r('d2', 27),
      })
      const out = src.pipe(
        keyBy((x) => x.device),
        alertState({ when: (k) => k.value.t > 30, clear: (k) => k.value.t < 28, scheduler, tick: 1000 }),
        map(show),
      )
      expectObservable(out).toBe('a 2ms b c d |', {
        a: 'd1:firing@0',
        b: 'd2:firing@3',
        c: 'd1:resolved@4',
        d: 'd2:resolved@5',
      })
    })
  })

  it('for completes on a timer tick; repeat re-notifies; completion resolves what is firing', () => {
    const scheduler = marbles()
    scheduler.run(({ cold, expectObservable }) => {
      const src = cold('a 2999ms |', { a: r('d1', 31) })
      const out = src.pipe(
        keyBy((x) => x.device),
        alertState({ when: (k) => k.value.t > 30, for: '1s', repeat: 1000, scheduler, tick: 100 }),
        map(show),
      )
      expectObservable(out).toBe('a 999ms b 999ms c 999ms (d|)', {
        a: 'd1:pending@0',
        b: 'd1:firing@1000',
        c: 'd1:firing#1@2000',
        d: 'd1:resolved@3000',
      })
    })
  })

  it('event time: only new values move an alert on, at their time', () => {
    const scheduler = marbles()
    scheduler.run(({ cold, expectObservable }) => {
      const src = cold('a b c |', {
        a: { key: 'z', end: 10_000, v: 1 },
        b: { key: 'z', end: 20_000, v: 1 },
        c: { key: 'z', end: 25_000, v: 0 },
      })
      const out = src.pipe(
        alertState({ when: (w) => w.v === 1, for: '10s', time: 'event', scheduler }),
        map((a) => `${a.state}@${a.at}`),
      )
      expectObservable(out).toBe('a b c |', { a: 'pending@10000', b: 'firing@20000', c: 'resolved@25000' })
    })
  })

  it('an acknowledgement stops re-notification until the alert resolves', () => {
    const scheduler = marbles()
    scheduler.run(({ cold, hot, expectObservable }) => {
      const acks = new Subject<{ key: string; by: string }>()
      hot('1500ms a').subscribe(() => acks.next({ key: 'd1', by: 'ops' }))
      const src = cold('a 3999ms b 999ms |', { a: r('d1', 31), b: r('d1', 20) })
      const out = src.pipe(
        keyBy((x) => x.device),
        alertState({
          when: (k) => k.value.t > 30,
          repeat: 1000,
          acknowledgements: acks,
          scheduler,
          tick: 100,
        }),
        map(show),
      )
      expectObservable(out).toBe('a 999ms b 499ms c 2499ms d 999ms |', {
        a: 'd1:firing@0',
        b: 'd1:firing#1@1000',
        c: 'd1:firing#1@1500 by ops',
        d: 'd1:resolved@4000',
      })
    })
  })

  it('a throwing condition errors the output (the rule host counts it and resubscribes)', () => {
    const scheduler = marbles()
    scheduler.run(({ cold, expectObservable }) => {
      const out = cold('a |', { a: r('d1', 1) }).pipe(
        keyBy((x) => x.device),
        alertState({
          when: () => {
            throw new Error('boom')
          },
          scheduler,
        }),
      )
      expectObservable(out).toBe('#', undefined, new Error('boom'))
    })
  })
})
