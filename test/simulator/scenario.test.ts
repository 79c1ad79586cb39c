import { readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { expandDevices, loadScenarioFile, loadScenarioText } from '../../simulator/src/scenario.js'
import { FileErrors } from '../../src/core/file-errors.js'

function errorsOf(text: string): string[] {
  try {
    loadScenarioText(text, 'bad.yaml')
  } catch (err) {
    if (err instanceof FileErrors) return err.message.split('\n')
    throw err
  }
  return []
}

describe('scenario files', () => {
  it('every shipped scenario is valid', () => {
    const files = readdirSync('simulator/scenarios').filter((f) => f.endsWith('.yaml'))
    expect(files).toEqual(expect.arrayContaining(['greenhouse.yaml', 'load.yaml']))
    for (const f of files) expect(() => loadScenarioFile(`simulator/scenarios/${f}`)).not.toThrow()
  })

  it('reports each mistake as file:line:col path: message', () => {
    const errors = errorsOf(
      [
        'version: 1',
        'name: broken',
        'devices:',
        '  - id: a',
        '    type: climate-sensor',
        '    interval: 5x',
        '    fields:',
        '      temperature: { kind: daily, bse: 3 }',
        '      door: { kind: nope }',
        'events:',
        '  - { at: 1s, kind: fault, fault: gremlins }',
      ].join('\n'),
    )
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^bad\.yaml:6:15 TG_SCENARIO_INVALID \/devices\/0\/interval: invalid duration "5x"/,
        ),
        'bad.yaml:8:20 TG_SCENARIO_MISSING_KEY /devices/0/fields/temperature: missing required key "base"',
        'bad.yaml:8:35 TG_SCENARIO_UNKNOWN_KEY /devices/0/fields/temperature/bse: unknown key "bse"',
        expect.stringMatching(
          /^bad\.yaml:9:13 TG_SCENARIO_INVALID \/devices\/0\/fields\/door: kind must be one of daily, steps/,
        ),
        expect.stringMatching(
          /^bad\.yaml:11:35 TG_SCENARIO_INVALID \/events\/0\/fault: must be one of "malformed_json"/,
        ),
      ]),
    )
    expect(errors).toHaveLength(5)
  })

  it('checks references the schema cannot see', () => {
    const errors = errorsOf(
      [
        'version: 1',
        'name: refs',
        'zones: [{ id: north }]',
        'devices:',
        '  - id: m',
        '    type: power-meter',
        '    fields:',
        '      energy: { kind: energy, of: power }',
        '      power: { kind: load, base: 10 }',
        'events:',
        '  - { at: 1s, kind: heat, zone: west, delta: 3 }',
      ].join('\n'),
    )
    expect(errors).toEqual([
      'bad.yaml:8:15 TG_SCENARIO_REFERENCE /devices/0/fields/energy: "power" must be a field declared before "energy"',
      'bad.yaml:11:33 TG_SCENARIO_REFERENCE /events/0/zone: unknown zone "west"',
    ])
  })

  it('expands groups per zone and applies --devices and --rate', () => {
    const s = loadScenarioFile('simulator/scenarios/greenhouse.yaml')
    const ids = expandDevices(s).map((d) => d.id)
    expect(ids).toEqual(
      expect.arrayContaining(['north-climate-1', 'south-climate-2', 'south-fan', 'site-meter']),
    )
    const load = loadScenarioFile('simulator/scenarios/load.yaml')
    expect(expandDevices(load)).toHaveLength(1000)
    const scaled = expandDevices(load, { devices: 100, rate: 500 })
    expect(scaled).toHaveLength(100)
    // 100 devices sharing 500 msg/s: each publishes every 200 ms.
    expect(new Set(scaled.map((d) => d.intervalMs))).toEqual(new Set([200]))
    expect(scaled[0]?.topic).toBe('devices/load-z1-climate-1/telemetry')
    expect(scaled[0]?.tags).toEqual({ zone: 'z1' })
  })

  it('--devices multiplies numbered groups only: a fixed id (site-meter) stays one device', () => {
    const s = loadScenarioFile('simulator/scenarios/greenhouse.yaml')
    const devices = expandDevices(s, { devices: 50 })
    const ids = devices.map((d) => d.id)
    expect(ids.filter((id) => id === 'site-meter')).toHaveLength(1)
    expect(new Set(ids).size).toBe(ids.length)
    // 50 sensors in all: the site meter plus 49 numbered climate sensors (rounded per zone).
    const sensors = devices.filter((d) => !d.group.actuator)
    expect(sensors.length).toBeGreaterThanOrEqual(49)
    expect(sensors.length).toBeLessThanOrEqual(51)
    expect(ids).toEqual(expect.arrayContaining(['north-fan', 'south-fan', 'north-climate-25']))
  })
})
