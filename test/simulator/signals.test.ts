import { describe, expect, it } from 'vitest'
import { type SimClock, SimDevice } from '../../simulator/src/device.js'
import { Prng } from '../../simulator/src/prng.js'
import { expandDevices, loadScenarioFile } from '../../simulator/src/scenario.js'
import { createFieldGenerator, type SampleContext } from '../../simulator/src/signals.js'
import { World } from '../../simulator/src/world.js'

const HOUR = 3_600_000
const T0 = Date.UTC(2026, 0, 1, 0, 0, 0)

/** Samples every device of the greenhouse scenario at fixed times: no wall clock involved. */
function greenhouseSeries(seed: number, samples = 20): unknown[] {
  const scenario = loadScenarioFile('simulator/scenarios/greenhouse.yaml')
  const world = new World()
  for (const z of scenario.zones) world.addZone(z.id, 8000)
  const clock: SimClock = { now: () => T0, timeScale: 60, simTime: (real) => T0 + (real - T0) * 60 }
  const devices = expandDevices(scenario).map((spec) => new SimDevice(spec, seed, world, clock))
  const out: unknown[] = []
  for (let i = 0; i < samples; i++)
    for (const d of devices) if (d.publishes) out.push(d.sample(T0 + i * 2000))
  return out
}

function ctx(over: Partial<SampleContext> & { rng: Prng }): SampleContext {
  return {
    simTime: T0,
    dtHours: 1 / 60,
    elapsedHours: 0,
    zone: { temperature: 0, humidity: 0 },
    actuatorOn: false,
    values: {},
    ...over,
  }
}

describe('signal models', () => {
  it('a seed reproduces every payload; another seed does not', () => {
    const a = greenhouseSeries(42)
    expect(greenhouseSeries(42)).toEqual(a)
    expect(greenhouseSeries(43)).not.toEqual(a)
    expect(a.length).toBeGreaterThan(100)
  })

  it('the PRNG is uniform enough and its gaussian has mean ~0, sd ~1', () => {
    const rng = new Prng(1)
    const g = Array.from({ length: 20_000 }, () => rng.gaussian())
    const mean = g.reduce((s, x) => s + x, 0) / g.length
    const sd = Math.sqrt(g.reduce((s, x) => s + (x - mean) ** 2, 0) / g.length)
    expect(Math.abs(mean)).toBeLessThan(0.05)
    expect(Math.abs(sd - 1)).toBeLessThan(0.05)
  })

  it('daily cycle peaks at peakHour and follows the zone offset', () => {
    const gen = createFieldGenerator({
      kind: 'daily',
      base: 20,
      amplitude: 5,
      peakHour: 15,
      noise: 0,
      driftPerHour: 0,
      zone: 'temperature',
    })
    const rng = new Prng(1)
    expect(gen(ctx({ rng, simTime: T0 + 15 * HOUR }))).toBe(25)
    expect(gen(ctx({ rng, simTime: T0 + 3 * HOUR }))).toBe(15)
    expect(gen(ctx({ rng, simTime: T0 + 15 * HOUR, zone: { temperature: -4, humidity: 0 } }))).toBe(21)
  })

  it('battery drains monotonically to its floor; energy integrates power', () => {
    const battery = createFieldGenerator({ kind: 'battery', start: 100, drainPerHour: 10, min: 5 })
    const rng = new Prng(1)
    const levels = [0, 1, 5, 20].map((h) => battery(ctx({ rng, elapsedHours: h })))
    expect(levels).toEqual([100, 90, 50, 5])
    const energy = createFieldGenerator({ kind: 'energy', of: 'power', start: 0 })
    const e1 = energy(ctx({ rng, dtHours: 1, values: { power: 500 } }))
    const e2 = energy(ctx({ rng, dtHours: 2, values: { power: 250 } }))
    expect([e1, e2]).toEqual([0.5, 1])
  })

  it('load profile peaks at its peak hour and adds the actuator load while on', () => {
    const load = createFieldGenerator({
      kind: 'load',
      base: 100,
      noise: 0,
      peaks: [{ hour: 19, width: 1, power: 1000 }],
      actuator: 50,
    })
    const rng = new Prng(1)
    expect(load(ctx({ rng, simTime: T0 + 19 * HOUR }))).toBe(1100)
    expect(load(ctx({ rng, simTime: T0 + 7 * HOUR }))).toBe(100)
    expect(load(ctx({ rng, simTime: T0 + 7 * HOUR, actuatorOn: true }))).toBe(150)
  })

  it('door/motion events arrive at about the configured rate and hold for their duration', () => {
    const door = createFieldGenerator({ kind: 'events', perHour: 6, hold: '1m' })
    const rng = new Prng(9)
    let opens = 0
    let prev = false
    // 100 simulated hours, one sample per simulated minute.
    for (let m = 0; m < 6000; m++) {
      const open = door(ctx({ rng, simTime: T0 + m * 60_000, dtHours: 1 / 60 })) as boolean
      if (open && !prev) opens++
      prev = open
    }
    expect(opens).toBeGreaterThan(450)
    expect(opens).toBeLessThan(650)
  })

  it('steps cycle through levels and spikes stand out of the base', () => {
    const steps = createFieldGenerator({ kind: 'steps', levels: [1, 2, 3], every: '1h', noise: 0 })
    const rng = new Prng(3)
    expect([0, 1, 2, 3].map((h) => steps(ctx({ rng, elapsedHours: h + 0.5 })))).toEqual([1, 2, 3, 1])
    const spikes = createFieldGenerator({ kind: 'spikes', base: 10, noise: 0, probability: 0.1, size: 100 })
    const values = Array.from({ length: 1000 }, () => spikes(ctx({ rng })) as number)
    const n = values.filter((v) => v === 110).length
    expect(values.every((v) => v === 10 || v === 110)).toBe(true)
    expect(n).toBeGreaterThan(60)
    expect(n).toBeLessThan(140)
  })
})

describe('closed loop', () => {
  it('a fan switched on pulls its zone temperature down with the zone time constant', () => {
    const world = new World()
    world.addZone('south', 10_000)
    const zone = world.zone('south')!
    zone.setLoad('temperature', 10, 0)
    expect(world.offsets('south', 100_000).temperature).toBeCloseTo(10, 2)
    zone.setActuator('south-fan', 'temperature', -15, true, 100_000)
    // One time constant later 63 % of the way from +10 to -5.
    expect(world.offsets('south', 110_000).temperature).toBeCloseTo(10 - 15 * (1 - Math.exp(-1)), 2)
    expect(world.offsets('south', 200_000).temperature).toBeCloseTo(-5, 2)
  })
})
