import { describe, expect, it } from 'vitest'
import { ev, rule, virtualEngine } from './harness.js'

const hot = rule(`
version: 1
id: hot
from: { type: climate-sensor }
when: "data.t > 30"
clear: "data.t < 28"
actions:
  - alert: { message: "hot" }
`)

describe('alert state handed between cluster nodes (virtual time)', () => {
  it('a restored firing alert is not announced again and resolves on the next clear', () => {
    const v = virtualEngine([hot])
    v.engine.alertSeeds = (r, key) =>
      r === 'hot' && key === 'd1' ? { state: 'firing', since: 500, at: 500 } : undefined
    v.at(1000)
    v.send('d1', { t: 35 })
    v.at(2000)
    v.send('d1', { t: 20 })
    expect(v.states()).toEqual(['d1:resolved@2000'])
    expect(v.alerts[0]).toMatchObject({ previous: 'firing', since: 500 })
  })

  it('forgetAlert drops a key’s state silently; the key starts again from its seed (or fresh)', () => {
    const v = virtualEngine([hot])
    v.at(1000)
    v.send('d1', { t: 35 })
    v.engine.forgetAlert('hot', 'd1')
    // Meanwhile another node resolved it; it comes back here with no seed: a fresh machine.
    v.at(2000)
    v.send('d1', { t: 20 })
    v.at(3000)
    v.send('d1', { t: 35 })
    expect(v.states()).toEqual(['d1:firing@1000', 'd1:firing@3000'])
  })
})

const countedYaml = `
version: 1
id: counted
from: { type: climate-sensor }
window: { kind: tumbling, size: 10s }
aggregate:
  n: count()
  total: sum(data.t)
actions:
  - write: { measurement: counts, fields: [n, total] }
`
const counted = rule(countedYaml)

const silent = rule(`
version: 1
id: silent
kind: deadman
from: { type: climate-sensor }
silence: 5s
actions:
  - alert: { message: "{{key}} silent" }
`)

/** Two engines on one virtual clock, as two nodes; the events of partition 3 go to `a` then to `b`. */
function twoNodes() {
  const a = virtualEngine([counted, silent])
  const b = virtualEngine([counted, silent])
  a.engine.stateTag = () => 3
  b.engine.stateTag = () => 3
  const at = (t: number) => {
    a.at(t)
    b.at(t)
  }
  return { a, b, at }
}

describe('window and deadman state handed between cluster nodes (virtual time)', () => {
  it('an open window continues on the new owner: its result counts every event', () => {
    const { a, b, at } = twoNodes()
    at(1000)
    a.send('d1', { t: 1 })
    at(3000)
    a.send('d1', { t: 2 })
    const saved = JSON.parse(JSON.stringify(a.engine.saveKeyedState(3)))
    expect(a.engine.saveKeyedState(4)).toEqual([])
    a.engine.forgetKeyedState(3)
    expect(b.engine.restoreKeyedState(3, saved)).toBe(2) // the window and the deadman of d1
    at(6000)
    b.send('d1', { t: 4 })
    at(12_000)
    expect(a.writes).toEqual([])
    expect(b.writes.map((w) => w.point.fields)).toEqual([{ n: 3, total: 7 }])
    expect(b.engine.keyTag('counted', 'd1')).toBe(3)
  })

  it('a silent device alerts on the new owner at its original deadline', () => {
    const { a, b, at } = twoNodes()
    at(1000)
    a.send('d1', { t: 1 })
    at(2000)
    b.engine.restoreKeyedState(3, a.engine.saveKeyedState(3))
    a.engine.forgetKeyedState(3)
    at(5999)
    expect(b.states()).toEqual([])
    at(6000)
    expect(b.states()).toEqual(['d1:firing@6000'])
    expect(b.alerts[0]?.values).toMatchObject({ lastSeen: 1000 })
    expect(a.states()).toEqual([])
  })

  it('a firing deadman stays firing on the new owner and resolves when the device speaks', () => {
    const { a, b, at } = twoNodes()
    at(1000)
    a.send('d1', { t: 1 })
    at(7000)
    expect(a.states()).toEqual(['d1:firing@6000'])
    b.engine.restoreKeyedState(3, a.engine.saveKeyedState(3))
    at(9000)
    b.send('d1', { t: 1 })
    expect(b.states()).toEqual(['d1:resolved@9000'])
  })

  it('a replay at an earlier clock places processing-time events as the old owner did, muted', () => {
    const { a, b, at } = twoNodes()
    at(1000)
    a.send('d1', { t: 1 })
    const saved = a.engine.saveKeyedState(3)
    at(9500)
    a.send('d1', { t: 2 }) // the old owner saw this one after its snapshot, then died
    at(11_000) // a closed the window [0, 10s) with 2 events, then died
    expect(a.writes.map((w) => w.point.fields)).toEqual([{ n: 2, total: 3 }])
    at(14_000)
    b.engine.restoreKeyedState(3, saved)
    b.engine.muted = true
    b.engine.pushAt(ev('d1', { t: 2 }, { time: 9500, received: 9500 }), 9500)
    b.engine.muted = false
    expect(b.engine.scheduler.now()).toBe(14_000)
    at(14_250)
    // The window the old owner closed after its last snapshot closes again, the same (documented).
    b.send('d1', { t: 5 })
    at(21_000)
    expect(b.writes.map((w) => [w.point.time, w.point.fields])).toEqual([
      [0, { n: 2, total: 3 }],
      [10_000, { n: 1, total: 5 }],
    ])
  })
})

describe('restoring saved keys', () => {
  it('skips keys of a rule that is missing or differs here (a changed rule starts fresh)', () => {
    const a = virtualEngine([counted])
    a.engine.stateTag = () => 1
    a.at(1000)
    a.send('d1', { t: 1 })
    const saved = a.engine.saveKeyedState(1)
    expect(saved).toHaveLength(1)
    const changed = virtualEngine([rule(countedYaml.replace('size: 10s', 'size: 20s'))])
    expect(changed.engine.restoreKeyedState(1, saved)).toBe(0)
    expect(virtualEngine([silent]).engine.restoreKeyedState(1, saved)).toBe(0)
  })
})

describe('a muted engine (a takeover replays events the previous owner handled)', () => {
  it('publishes nothing, not even a command held back by minInterval that falls due later', () => {
    const v = virtualEngine([
      rule(`
version: 1
id: fan
from: { type: climate-sensor }
when: "data.t > 30"
clear: "data.t < 28"
actions:
  - command: { device: fan, name: set, params: { on: true }, onClear: { params: { on: false } }, minInterval: 10s }
`),
    ])
    v.at(1000)
    v.send('d1', { t: 31 })
    expect(v.commands).toHaveLength(1)
    v.engine.muted = true
    v.at(2000)
    v.send('d1', { t: 20 }) // its "off" would wait for the interval
    v.engine.muted = false
    v.at(20_000)
    expect(v.commands).toHaveLength(1)
  })
})
