import { describe, expect, it } from 'vitest'
import { alertPoint, alertTopic } from '../../src/rules/effects.js'
import { toLine } from '../../src/sinks/influx/line-protocol.js'
import { rule, virtualEngine } from './harness.js'

/** Per-event threshold rule with hysteresis; `extra` adds for/clearFor/repeat/actions. */
const threshold = (extra = '', actions = '  - alert: { message: "{{device}} at {{t}}" }') =>
  rule(`
version: 1
id: hot
from: { type: climate-sensor }
when: "data.t > 30"
clear: "data.t < 28"
${extra}
actions:
${actions}
`)

/** Sends one reading per second: values[i] at (i + 1) s. */
function feed(v: ReturnType<typeof virtualEngine>, values: number[], device = 'd1') {
  values.forEach((t, i) => {
    v.at((i + 1) * 1000)
    v.send(device, { t })
  })
}

describe('rule engine golden tests (virtual time)', () => {
  it('hysteresis: raise above 30, clear only below 28', () => {
    const v = virtualEngine([threshold()])
    feed(v, [25, 31, 29, 30.5, 28.5, 27.9, 29, 31])
    expect(v.states()).toEqual(['d1:firing@2000', 'd1:resolved@6000', 'd1:firing@8000'])
    expect(v.alerts[0]).toMatchObject({
      rule: 'hot',
      key: 'd1',
      previous: 'ok',
      severity: 'warning',
      message: 'd1 at 31',
      values: { t: 31 },
      since: 2000,
      mode: 'live',
    })
    expect(v.alerts[1]).toMatchObject({ previous: 'firing', since: 2000 })
  })

  it('for: pending, then firing only when the condition held; a dip cancels', () => {
    const v = virtualEngine([threshold('for: 3s')])
    feed(v, [31, 32, 27, 31, 31, 31, 31, 31])
    expect(v.states()).toEqual(['d1:pending@1000', 'd1:ok@3000', 'd1:pending@4000', 'd1:firing@7000'])
  })

  it('for completes on the timer when no new reading arrives', () => {
    const v = virtualEngine([threshold('for: 3s')])
    feed(v, [31])
    v.at(3999)
    expect(v.states()).toEqual(['d1:pending@1000'])
    v.at(10_000)
    expect(v.states()).toEqual(['d1:pending@1000', 'd1:firing@4000'])
  })

  it('repeat re-notifies while firing; the commands and publishes follow the trigger', () => {
    const v = virtualEngine([
      threshold(
        'repeat: 10s',
        `  - alert: {}
  - publish: { topic: "ops/{{key}}", payload: "{{state}} {{t}}", on: [firing, repeat, resolved] }`,
      ),
    ])
    feed(v, [31])
    for (let t = 2000; t <= 25_000; t += 1000) v.at(t) // the gateway ticks often
    v.send('d1', { t: 20 })
    expect(v.states()).toEqual([
      'd1:firing@1000',
      'd1:firing#1@11000',
      'd1:firing#2@21000',
      'd1:resolved@25000',
    ])
    expect(v.publishes.map((p) => `${p.topic} ${p.payload}`)).toEqual([
      'ops/d1 firing 31',
      'ops/d1 firing 31',
      'ops/d1 firing 31',
      'ops/d1 resolved 20',
    ])
  })

  it('acknowledge: published with who and when, repeats stop until it resolves, no action runs', () => {
    const v = virtualEngine([
      threshold(
        'repeat: 10s',
        `  - alert: {}
  - publish: { topic: "ops/{{key}}", payload: "{{state}}", on: [firing, repeat, resolved] }`,
      ),
    ])
    feed(v, [31])
    expect(v.engine.acknowledge('hot', 'nope', 'ann')).toEqual({ ok: false, reason: 'not firing' })
    v.at(12_000) // one repeat before the acknowledgement
    expect(v.engine.acknowledge('hot', 'd1', 'ann', 12_500)).toEqual({ ok: true })
    expect(v.engine.acknowledge('hot', 'd1', 'bob', 12_600)).toEqual({
      ok: false,
      reason: 'already acknowledged by ann',
    })
    for (let t = 13_000; t <= 40_000; t += 1000) v.at(t)
    v.send('d1', { t: 20 })
    expect(v.states()).toEqual([
      'd1:firing@1000',
      'd1:firing#1@11000',
      'd1:firing#1@12500',
      'd1:resolved@40000',
    ])
    expect(v.alerts[2]?.acknowledged).toEqual({ by: 'ann', at: 12_500 })
    expect(v.publishes.map((p) => p.payload)).toEqual(['firing', 'firing', 'resolved'])
    expect(toLine(alertPoint(v.alerts[2]!))).toContain('acknowledged_by="ann",acknowledged_at=12500i')
    // A new firing needs a new acknowledgement: repeats run again.
    v.send('d1', { t: 31 })
    v.at(51_000)
    expect(v.states().slice(4)).toEqual(['d1:firing@40000', 'd1:firing#1@50000'])
    expect(v.alerts[4]?.acknowledged).toBeUndefined()
  })

  it('windowed rule: hysteresis and for on window results, command on firing and onClear on resolve', () => {
    const r = rule(`
version: 1
id: overheat
from: { type: climate-sensor }
window: { kind: tumbling, size: 10s }
aggregate: { mean: avg(data.t) }
when: mean > 30
clear: mean < 28
for: 10s
actions:
  - alert: { message: "{{device}} mean {{mean}}" }
  - command: { device: "{{tags.zone}}-fan", name: set, params: { on: true, level: "{{mean}}" }, onClear: { params: { on: false } } }
`)
    const v = virtualEngine([r])
    const temps = [31, 31, 31, 29, 27, 27]
    for (let s = 0; s < 60; s++) {
      v.at(s * 1000)
      v.send('d1', { t: temps[Math.floor(s / 10)] as number }, { tags: { zone: 'north' } })
    }
    v.at(60_000)
    expect(v.states()).toEqual(['d1:pending@10000', 'd1:firing@20000', 'd1:resolved@50000'])
    expect(v.commands.map((c) => [c.device, c.name, c.params, c.at, c.source])).toEqual([
      ['north-fan', 'set', { on: true, level: 31 }, 20_000, 'rule:overheat'],
      ['north-fan', 'set', { on: false }, 50_000, 'rule:overheat'],
    ])
  })

  it('commands to one target keep a minimum interval; the latest waiting one is sent, none is lost', () => {
    const v = virtualEngine([
      threshold(
        '',
        '  - command: { device: fan, name: set, params: { on: true }, onClear: { params: { on: false } }, minInterval: 10s }',
      ),
    ])
    feed(v, [31, 20, 31, 20]) // flapping every second
    expect(v.commands.map((c) => [c.params.on, c.at])).toEqual([[true, 1000]])
    v.at(10_999)
    expect(v.commands).toHaveLength(1)
    v.at(11_000)
    expect(v.commands.map((c) => [c.params.on, c.at])).toEqual([
      [true, 1000],
      [false, 11_000], // on, off, on, off collapsed into the final off
    ])
    expect(v.engine.stats().hot).toMatchObject({ commands: 2, commandsDeferred: 1, commandsReplaced: 2 })
  })

  it('deadman: fires after silence, resolves when the key speaks again; expected keys are watched from start', () => {
    const r = rule(`
version: 1
id: silent
kind: deadman
from: { type: climate-sensor }
silence: 60s
expect: [never-seen]
actions:
  - alert: { message: "{{key}} silent" }
`)
    const v = virtualEngine([r])
    v.at(1000)
    v.send('d1', { t: 1 })
    v.at(60_000)
    expect(v.states()).toEqual(['never-seen:firing@60000'])
    v.at(61_000)
    expect(v.states()).toEqual(['never-seen:firing@60000', 'd1:firing@61000'])
    v.at(70_000)
    v.send('d1', { t: 1 })
    expect(v.states().slice(2)).toEqual(['d1:resolved@70000'])
    expect(v.alerts[1]).toMatchObject({ message: 'd1 silent', values: { lastSeen: 1000 } })
  })

  it("deadman: the alert names the last reading's device and tags (kept as one object while they do not change)", () => {
    const r = rule(`
version: 1
id: zone-silent
kind: deadman
from: { type: climate-sensor }
key: tags.zone
silence: 60s
actions:
  - alert: { message: "{{key}} silent, last heard from {{device}} ({{tags.room}})" }
`)
    const v = virtualEngine([r])
    v.at(1000)
    v.send('d1', { t: 1 }, { tags: { zone: 'north', room: 'a' } })
    v.send('d1', { t: 2 }, { tags: { zone: 'north', room: 'a' } })
    v.at(2000)
    v.send('d2', { t: 3 }, { tags: { zone: 'north', room: 'b' } })
    v.at(62_000)
    expect(v.states()).toEqual(['north:firing@62000'])
    expect(v.alerts[0]).toMatchObject({
      device: 'd2',
      message: 'north silent, last heard from d2 (b)',
      values: { lastSeen: 2000 },
    })
  })

  it('changed() and prev compare with the previous result of the same key', () => {
    const r = rule(`
version: 1
id: relay
from: { type: power-meter }
where: "has(data.relay)"
actions:
  - publish: { topic: "relay/{{device}}", payload: { relay: "{{relay}}" } }
`)
    const flips = rule(`
version: 1
id: flips
from: { type: power-meter }
when: "changed('relay') && prev.relay == true"
clear: "true"
actions:
  - alert: {}
`)
    const v = virtualEngine([r, flips])
    const send = (relay: boolean) => v.send('m1', { relay, power: 1 }, { type: 'power-meter' })
    v.at(1)
    send(true)
    v.at(2)
    send(true)
    v.at(3)
    send(false)
    v.at(4)
    send(false)
    expect(v.publishes.map((p) => p.payload)).toEqual([
      '{"relay":true}',
      '{"relay":true}',
      '{"relay":false}',
      '{"relay":false}',
    ])
    expect(v.states()).toEqual(['m1:firing@3', 'm1:resolved@4'])
  })

  it('runtime errors are counted per rule and never stop the stream', () => {
    const r = rule(`
version: 1
id: fragile
from: { type: climate-sensor }
when: "data.t > 30"
actions:
  - alert: {}
`)
    const v = virtualEngine([r])
    v.send('d1', { other: 1 }) // no such key
    v.send('d1', { t: 'hot' }) // string > int: no such overload
    v.at(5)
    v.send('d1', { t: 31 })
    expect(v.engine.stats().fragile?.errors).toBe(2)
    expect(v.errors.map((e) => e.part)).toEqual(['when', 'when'])
    expect(v.errors[0]?.message).toMatch(/No such key: t/)
    expect(v.states()).toEqual(['d1:firing@5'])
  })

  it('shadow mode: alerts under tidegate/shadow and alerts_shadow, no commands, derived measurement suffixed', () => {
    const r = rule(`
version: 1
id: trial
mode: shadow
from: { type: climate-sensor }
when: "data.t > 30"
actions:
  - alert: {}
  - command: { device: fan, name: set, params: { on: true } }
  - write: { measurement: hot, fields: [t], on: [firing] }
`)
    const v = virtualEngine([r])
    v.send('d1', { t: 31 })
    expect(v.commands).toEqual([])
    expect(v.engine.stats().trial?.shadowed).toBe(1)
    const t = v.alerts[0]!
    expect(alertTopic(t)).toBe('tidegate/shadow/alerts/trial/d1')
    expect(alertPoint(t).measurement).toBe('alerts_shadow')
    expect(v.writes[0]?.point.measurement).toBe('hot_shadow')
  })

  it('alert transitions become InfluxDB lines with rule, key, severity tags and numeric values', () => {
    const v = virtualEngine([threshold()])
    v.at(1234)
    v.send('d1', { t: 31 })
    expect(alertTopic(v.alerts[0]!)).toBe('alerts/hot/d1')
    expect(toLine(alertPoint(v.alerts[0]!))).toBe(
      'alerts,device=d1,key=d1,rule=hot,severity=warning state="firing",previous="ok",message="d1 at 31",repeat=0i,since=1234i,value_t=31 1234',
    )
  })
})
