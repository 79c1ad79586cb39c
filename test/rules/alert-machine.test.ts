import { describe, expect, it } from 'vitest'
import { AlertMachine, type Transition } from '../../src/rules/alert-machine.js'

const show = (ts: Transition[]) => ts.map((t) => `${t.state}${t.repeat ? `#${t.repeat}` : ''}@${t.at}`)

describe('alert state machine', () => {
  it('for = 0 fires at once; not(when) resolves', () => {
    const m = new AlertMachine({ forMs: 0, clearForMs: 0, repeatMs: 0 })
    expect(show(m.evaluate(true, false, 10))).toEqual(['firing@10'])
    expect(show(m.evaluate(true, false, 20))).toEqual([])
    expect(show(m.evaluate(false, true, 30))).toEqual(['resolved@30'])
    expect(m.state).toBe('ok')
  })

  it('for: pending first, firing once the condition held long enough (by evaluation or by tick)', () => {
    const m = new AlertMachine({ forMs: 30, clearForMs: 0, repeatMs: 0 })
    expect(show(m.evaluate(true, false, 0))).toEqual(['pending@0'])
    expect(show(m.evaluate(true, false, 20))).toEqual([])
    expect(show(m.tick(29))).toEqual([])
    expect(show(m.tick(45))).toEqual(['firing@30']) // stamped when it became due
  })

  it('for: a dip before the time is up cancels back to ok', () => {
    const m = new AlertMachine({ forMs: 30, clearForMs: 0, repeatMs: 0 })
    m.evaluate(true, false, 0)
    expect(show(m.evaluate(false, true, 10))).toEqual(['ok@10'])
    expect(show(m.tick(100))).toEqual([])
  })

  it('hysteresis: neither when nor clear keeps firing', () => {
    const m = new AlertMachine({ forMs: 0, clearForMs: 0, repeatMs: 0 })
    m.evaluate(true, false, 0)
    expect(show(m.evaluate(false, false, 10))).toEqual([])
    expect(m.state).toBe('firing')
    expect(show(m.evaluate(false, true, 20))).toEqual(['resolved@20'])
  })

  it('clearFor: clear must hold; a relapse restarts the clock', () => {
    const m = new AlertMachine({ forMs: 0, clearForMs: 50, repeatMs: 0 })
    m.evaluate(true, false, 0)
    expect(show(m.evaluate(false, true, 10))).toEqual([])
    expect(show(m.evaluate(true, false, 40))).toEqual([]) // relapse
    expect(show(m.evaluate(false, true, 70))).toEqual([])
    expect(show(m.tick(119))).toEqual([])
    expect(show(m.tick(130))).toEqual(['resolved@120'])
  })

  it('repeat re-notifies while firing, one per period, without bursts after a gap', () => {
    const m = new AlertMachine({ forMs: 0, clearForMs: 0, repeatMs: 100 })
    m.evaluate(true, false, 0)
    expect(show(m.tick(99))).toEqual([])
    expect(show(m.tick(100))).toEqual(['firing#1@100'])
    expect(show(m.tick(150))).toEqual([])
    expect(show(m.tick(450))).toEqual(['firing#2@400'])
    expect(show(m.evaluate(false, true, 460))).toEqual(['resolved@460'])
    expect(show(m.tick(1000))).toEqual([])
  })

  it('forceResolve ends firing and pending alerts', () => {
    const firing = new AlertMachine({ forMs: 0, clearForMs: 0, repeatMs: 0 })
    firing.evaluate(true, false, 0)
    expect(show(firing.forceResolve(5))).toEqual(['resolved@5'])
    const pending = new AlertMachine({ forMs: 10, clearForMs: 0, repeatMs: 0 })
    pending.evaluate(true, false, 0)
    expect(show(pending.forceResolve(5))).toEqual(['ok@5'])
  })
})
