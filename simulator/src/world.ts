import type { ZoneQuantityName } from './scenario-schema.js'

type Quantities = Record<ZoneQuantityName, number>

/**
 * One zone of the simulated site. Its temperature and humidity offsets follow a first-order lag towards
 * the sum of external loads (an overheat event) and the effect of its actuators that are on — so a fan
 * switched on by a rule visibly pulls the zone's temperature down over a few time constants.
 */
export class Zone {
  readonly offset: Quantities = { temperature: 0, humidity: 0 }
  private readonly loads: Quantities = { temperature: 0, humidity: 0 }
  private readonly actuators = new Map<string, { quantity: ZoneQuantityName; effect: number; on: boolean }>()
  private updatedAt: number | undefined

  constructor(
    readonly id: string,
    private readonly timeConstantMs: number,
  ) {}

  setLoad(quantity: ZoneQuantityName, delta: number, now: number): void {
    this.advance(now)
    this.loads[quantity] = delta
  }

  setActuator(device: string, quantity: ZoneQuantityName, effect: number, on: boolean, now: number): void {
    this.advance(now)
    this.actuators.set(device, { quantity, effect, on })
  }

  /** Moves the offsets forward to `now` (real ms: the loop reacts on the scale a viewer watches). */
  advance(now: number): Quantities {
    if (this.updatedAt !== undefined && now > this.updatedAt) {
      const k = 1 - Math.exp(-(now - this.updatedAt) / this.timeConstantMs)
      for (const q of ['temperature', 'humidity'] as const) {
        this.offset[q] += (this.target(q) - this.offset[q]) * k
      }
    }
    this.updatedAt = Math.max(now, this.updatedAt ?? now)
    return this.offset
  }

  private target(q: ZoneQuantityName): number {
    let t = this.loads[q]
    for (const a of this.actuators.values()) if (a.on && a.quantity === q) t += a.effect
    return t
  }
}

/** All zones of a run; devices without a zone read zero offsets. */
export class World {
  private readonly zones = new Map<string, Zone>()
  private static readonly NONE = { temperature: 0, humidity: 0 }

  addZone(id: string, timeConstantMs: number): void {
    this.zones.set(id, new Zone(id, timeConstantMs))
  }

  zone(id: string | undefined): Zone | undefined {
    return id === undefined ? undefined : this.zones.get(id)
  }

  offsets(id: string | undefined, now: number): Readonly<Quantities> {
    return this.zone(id)?.advance(now) ?? World.NONE
  }
}
