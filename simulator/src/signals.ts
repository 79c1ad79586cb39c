import { toMs } from '../../src/core/duration.js'
import type { Prng } from './prng.js'
import type { FieldModelSpec } from './scenario-schema.js'

const HOUR_MS = 3_600_000

/** What a field generator sees when a device takes one sample. */
export interface SampleContext {
  /** Simulated wall-clock time (epoch ms); drives daily cycles. */
  simTime: number
  /** Simulated time since this device's previous sample (hours); drives integrals and drains. */
  dtHours: number
  /** Simulated hours since the run started. */
  elapsedHours: number
  /** The zone's current offsets from loads and actuators (closed loop). */
  zone: { temperature: number; humidity: number }
  /** Whether this device, when it is an actuator, is on. */
  actuatorOn: boolean
  /** Fields already computed for this sample, in declaration order (derived fields read these). */
  values: Record<string, unknown>
  rng: Prng
}

export type FieldValue = number | string | boolean
export type FieldGenerator = (ctx: SampleContext) => FieldValue

const round = (x: number, digits = 2) => {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

/** Hours between two times of day, the short way round the clock. */
function hourDistance(a: number, b: number): number {
  const d = Math.abs(a - b) % 24
  return Math.min(d, 24 - d)
}

export function hourOfDay(simTime: number): number {
  return (((simTime / HOUR_MS) % 24) + 24) % 24
}

/**
 * A stateful generator for one field of one device. State (drift, integrals, event holds) lives in the
 * closure, so two devices never share it and a seed reproduces the whole series.
 */
export function createFieldGenerator(spec: FieldModelSpec): FieldGenerator {
  switch (spec.kind) {
    case 'daily': {
      let drift = 0
      return (ctx) => {
        drift += spec.driftPerHour * ctx.rng.gaussian() * Math.sqrt(Math.max(ctx.dtHours, 0))
        const cycle = spec.amplitude * Math.cos((2 * Math.PI * (hourOfDay(ctx.simTime) - spec.peakHour)) / 24)
        const zone = spec.zone ? ctx.zone[spec.zone] : 0
        let v = spec.base + cycle + drift + zone + spec.noise * ctx.rng.gaussian()
        if (spec.min !== undefined) v = Math.max(spec.min, v)
        if (spec.max !== undefined) v = Math.min(spec.max, v)
        return round(v)
      }
    }
    case 'steps': {
      const everyHours = toMs(spec.every) / HOUR_MS
      return (ctx) => {
        const i = Math.floor(ctx.elapsedHours / everyHours) % spec.levels.length
        return round((spec.levels[i] ?? 0) + spec.noise * ctx.rng.gaussian())
      }
    }
    case 'spikes':
      return (ctx) => {
        const spike = ctx.rng.chance(spec.probability) ? spec.size : 0
        return round(spec.base + spec.noise * ctx.rng.gaussian() + spike)
      }
    case 'load':
      return (ctx) => {
        const h = hourOfDay(ctx.simTime)
        let w = spec.base
        for (const p of spec.peaks)
          w += p.power * Math.exp(-(hourDistance(h, p.hour) ** 2) / (2 * p.width ** 2))
        w *= 1 + spec.noise * ctx.rng.gaussian()
        if (ctx.actuatorOn && spec.actuator !== undefined) w += spec.actuator
        return round(Math.max(0, w), 1)
      }
    case 'energy': {
      let kwh = spec.start
      return (ctx) => {
        const w = ctx.values[spec.of]
        if (typeof w === 'number') kwh += (w * ctx.dtHours) / 1000
        return round(kwh, 4)
      }
    }
    case 'current':
      return (ctx) => {
        const w = ctx.values[spec.power]
        const v = ctx.values[spec.voltage]
        return typeof w === 'number' && typeof v === 'number' && v > 0 ? round(w / v, 3) : 0
      }
    case 'events': {
      let activeUntil = -Infinity
      const holdMs = toMs(spec.hold)
      return (ctx) => {
        // Poisson arrivals: the chance of at least one event in the elapsed interval.
        if (ctx.simTime >= activeUntil && ctx.rng.chance(1 - Math.exp(-spec.perHour * ctx.dtHours)))
          activeUntil = ctx.simTime + holdMs
        return ctx.simTime < activeUntil
      }
    }
    case 'battery':
      return (ctx) => round(Math.max(spec.min, spec.start - spec.drainPerHour * ctx.elapsedHours), 1)
    case 'constant':
      return () => spec.value
    case 'relay':
      return (ctx) => ctx.actuatorOn
  }
}
