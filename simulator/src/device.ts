import { deriveSeed, Prng } from './prng.js'
import type { DeviceSpec } from './scenario.js'
import { createFieldGenerator, type FieldGenerator, type SampleContext } from './signals.js'
import type { World } from './world.js'

const HOUR_MS = 3_600_000

/** Maps real time to simulated time: the daily cycle can run faster than the wall clock. */
export interface SimClock {
  /** Real time now (epoch ms). */
  now(): number
  /** Simulated wall-clock time for a real time. */
  simTime(real: number): number
  /** Simulated ms per real ms. */
  readonly timeScale: number
}

export interface CommandOutcome {
  /** The JSON to publish on `devices/<id>/acks`, or null when the device stays silent. */
  ack: { id: unknown; status: 'ok' | 'error'; error?: string; state?: Record<string, unknown> } | null
}

/**
 * One simulated device, independent of transport: it produces payloads from its signal models and
 * obeys commands when it is an actuator. Everything random comes from its own seeded stream.
 */
export class SimDevice {
  seq = 0
  actuatorOn = false
  /** The last payload bytes published (for the duplicate fault). */
  lastPayload: string | undefined
  private readonly rng: Prng
  private readonly generators: [string, FieldGenerator][]
  private lastSampleReal: number | undefined
  private startReal: number | undefined

  constructor(
    readonly spec: DeviceSpec,
    seed: number,
    private readonly world: World,
    private readonly clock: SimClock,
  ) {
    this.rng = new Prng(deriveSeed(seed, spec.id))
    this.generators = Object.entries(spec.group.fields).map(([name, model]) => [
      name,
      createFieldGenerator(model),
    ])
  }

  get id(): string {
    return this.spec.id
  }

  /** Whether this device publishes anything (an actuator without fields only listens). */
  get publishes(): boolean {
    return this.generators.length > 0
  }

  /** Takes one sample at real time `now`: tags, fields in declaration order, then ts and seq. */
  sample(now = this.clock.now()): Record<string, unknown> {
    this.startReal ??= now
    const dtReal = this.lastSampleReal === undefined ? this.spec.intervalMs : now - this.lastSampleReal
    this.lastSampleReal = now
    const values: Record<string, unknown> = { ...this.spec.tags }
    const ctx: SampleContext = {
      simTime: this.clock.simTime(now),
      dtHours: (Math.max(0, dtReal) * this.clock.timeScale) / HOUR_MS,
      elapsedHours: ((now - this.startReal) * this.clock.timeScale) / HOUR_MS,
      zone: this.world.offsets(this.spec.zone, now),
      actuatorOn: this.actuatorOn,
      values,
      rng: this.rng,
    }
    for (const [name, gen] of this.generators) values[name] = gen(ctx)
    if (this.spec.group.ts) values['ts'] = Math.round(now)
    if (this.spec.group.seq) values['seq'] = this.seq++
    return values
  }

  /**
   * Handles a command published to `devices/<id>/commands/<name>`. Accepts `{id, params: {on}}` or a
   * flat `{id, on}`; `on` may also be spelled `state: "on"|"off"`.
   */
  handleCommand(name: string, payload: Buffer, now = this.clock.now()): CommandOutcome {
    const act = this.spec.group.actuator
    let body: Record<string, unknown>
    try {
      const parsed: unknown = JSON.parse(payload.toString('utf8'))
      if (typeof parsed !== 'object' || parsed === null) throw new Error('command must be a JSON object')
      body = parsed as Record<string, unknown>
    } catch (err) {
      return { ack: { id: null, status: 'error', error: (err as Error).message } }
    }
    const id = body['id'] ?? null
    if (!act || act.ack === 'none') return { ack: null }
    if (!act.commands.includes(name))
      return { ack: { id, status: 'error', error: `unknown command "${name}"` } }
    const params = (
      typeof body['params'] === 'object' && body['params'] !== null ? body['params'] : body
    ) as Record<string, unknown>
    const on =
      typeof params['on'] === 'boolean'
        ? params['on']
        : params['state'] === 'on'
          ? true
          : params['state'] === 'off'
            ? false
            : undefined
    if (on === undefined) return { ack: { id, status: 'error', error: 'params.on (boolean) is required' } }
    if (act.ack === 'error') return { ack: { id, status: 'error', error: 'simulated failure' } }
    this.actuatorOn = on
    this.world.zone(this.spec.zone)?.setActuator(this.id, act.affects, act.effect, on, now)
    return { ack: { id, status: 'ok', state: { on } } }
  }
}
