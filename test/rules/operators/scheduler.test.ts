import { interval, map, Subject, take } from 'rxjs'
import { describe, expect, it } from 'vitest'
import {
  alert,
  command,
  isEffect,
  keyBy,
  publish,
  SteppedScheduler,
  write,
} from '../../../src/rules/operators/index.js'

describe('SteppedScheduler', () => {
  it('travel runs a function at an earlier clock without running what is due, then puts the clock back', () => {
    const s = new SteppedScheduler(5000)
    const ran: number[] = []
    s.schedule(() => ran.push(s.now()), 0)
    expect(s.travel(1000, () => s.now())).toBe(1000)
    expect(s.now()).toBe(5000)
    expect(ran).toEqual([])
    // Moved on inside: the later time stays.
    s.travel(1000, () => s.setNow(7000))
    expect(s.now()).toBe(7000)
    s.advanceTo(7000)
    expect(ran).toEqual([7000])
  })

  it('runs due actions in order when stepped, late ones at the step time', () => {
    const s = new SteppedScheduler(1000)
    const seen: string[] = []
    interval(100, s)
      .pipe(take(3))
      .subscribe((i) => seen.push(`i${i}@${s.now()}`))
    s.schedule(() => seen.push(`once@${s.now()}`), 150)
    s.setNow(1120) // an event between steps moves the clock, runs nothing
    expect(seen).toEqual([])
    s.advanceTo(1160)
    expect(seen).toEqual(['i0@1160', 'once@1160'])
    s.advanceTo(1500)
    expect(seen).toEqual(['i0@1160', 'once@1160', 'i1@1500'])
    s.advanceTo(1600)
    expect(seen.at(-1)).toBe('i2@1600')
    expect(s.pending).toBe(0)
  })

  it('an unsubscribed action never runs', () => {
    const s = new SteppedScheduler()
    let ran = false
    s.schedule(() => {
      ran = true
    }, 10).unsubscribe()
    s.advanceTo(100)
    expect(ran).toBe(false)
  })
})

describe('keyBy and the effects', () => {
  it('keyBy tags values with String(key), empty for null', () => {
    const out: string[] = []
    const src = new Subject<{ zone?: string | number }>()
    src
      .pipe(
        keyBy((v) => v.zone),
        map((k) => `${k.key}|`),
      )
      .subscribe((x) => out.push(x))
    src.next({ zone: 'north' })
    src.next({ zone: 3 })
    src.next({})
    expect(out).toEqual(['north|', '3|', '|'])
  })

  it('effects are plain values with the keys of YAML actions', () => {
    expect(command({ device: 'fan-1', name: 'set', params: { on: true } })).toEqual({
      command: { device: 'fan-1', name: 'set', params: { on: true } },
    })
    expect(alert({ key: 'k', state: 'firing' })).toEqual({ alert: { key: 'k', state: 'firing' } })
    expect(write({ measurement: 'm', fields: { x: 1 } })).toEqual({
      write: { measurement: 'm', fields: { x: 1 } },
    })
    expect(publish({ topic: 'a/b', payload: 'x' })).toEqual({ publish: { topic: 'a/b', payload: 'x' } })
    expect(isEffect({ alert: { key: 'k' } })).toBe(true)
    expect(isEffect({ nope: 1 })).toBe(false)
    expect(isEffect(null)).toBe(false)
  })
})
