import { toMs } from '../../src/core/duration.js'
import { type SimClock, SimDevice } from './device.js'
import { CONNECTION_FAULTS, faultMessages } from './faults.js'
import { emptyStats, MqttLink, type ReceivedCommand, type SimStats } from './mqtt-link.js'
import { type DeviceSpec, expandDevices } from './scenario.js'
import type { FaultKindName, Scenario, ScenarioEvent, ZoneQuantityName } from './scenario-schema.js'
import { World } from './world.js'

export interface SimulatorOptions {
  /** Broker URL, e.g. mqtt://127.0.0.1:1883 (the gateway, Mosquitto, any MQTT 3.1.1 broker). */
  url: string
  scenario: Scenario
  /** Overrides the scenario's seed. */
  seed?: number
  /** Total non-actuator devices (groups scaled proportionally). */
  devices?: number
  /** Total messages per second across all devices. */
  rate?: number
  /** Run the scenario's timed events (default true; tests often drive faults by hand). */
  events?: boolean
  /** Progress lines (event fired, fault injected); silent by default. */
  log?: (line: string) => void
  /** Real-time source; injectable for tests. */
  now?: () => number
}

export interface FaultRequest {
  fault: FaultKindName
  /** Device id, or a prefix ending in `*` (default: every publishing device). */
  devices?: string
  count?: number
  /** clock_skew / late: how far `ts` moves (ms or duration text). */
  offset?: number | string
  size?: number
  downFor?: number | string
}

const TICK_MS = 10
/** A device that fell further behind than this skips ahead instead of flooding to catch up. */
const MAX_CATCH_UP_MS = 1000
const CONNECT_CONCURRENCY = 50

/**
 * Runs a scenario against a broker: one MQTT session per device, samples on each device's interval,
 * timed events (loads, faults) and commands answered with acks. Constructor assigns; start() connects.
 */
export class Simulator {
  readonly stats: SimStats = emptyStats()
  readonly world = new World()
  readonly commands: ReceivedCommand[] = []
  private readonly devices = new Map<string, { device: SimDevice; link: MqttLink; nextDue: number }>()
  private readonly commandListeners: ((c: ReceivedCommand) => void)[] = []
  private readonly timers: NodeJS.Timeout[] = []
  private readonly pending = new Set<Promise<unknown>>()
  private ticker: NodeJS.Timeout | undefined
  private readonly now: () => number
  private startedAt = 0

  constructor(private readonly options: SimulatorOptions) {
    this.now = options.now ?? Date.now
  }

  get seed(): number {
    return this.options.seed ?? this.options.scenario.seed
  }

  get deviceIds(): string[] {
    return [...this.devices.keys()]
  }

  device(id: string): SimDevice {
    const entry = this.devices.get(id)
    if (!entry) throw new Error(`no simulated device "${id}"`)
    return entry.device
  }

  onCommand(listener: (c: ReceivedCommand) => void): void {
    this.commandListeners.push(listener)
  }

  async start(): Promise<void> {
    const s = this.options.scenario
    this.startedAt = this.now()
    for (const z of s.zones) this.world.addZone(z.id, toMs(z.timeConstant))
    const clock = this.clock(s)
    const specs = expandDevices(s, { devices: this.options.devices, rate: this.options.rate })
    for (const spec of specs) this.addDevice(spec, clock)
    const entries = [...this.devices.values()]
    for (let i = 0; i < entries.length; i += CONNECT_CONCURRENCY)
      await Promise.all(entries.slice(i, i + CONNECT_CONCURRENCY).map((e) => e.link.connect()))
    // The schedule starts once every device is connected, so --rate × --duration holds. First samples
    // are spread over one interval (devices do not publish in lockstep), none at t=0: a test or an
    // operator sees only what the schedule or they themselves caused.
    const scheduleStart = this.now()
    for (const e of entries)
      e.nextDue = scheduleStart + (e.device.spec.intervalMs * (e.device.spec.index + 1)) / entries.length
    this.ticker = setInterval(() => this.tick(), TICK_MS)
    if (this.options.events !== false) for (const e of s.events) this.schedule(e)
  }

  async stop(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker)
    for (const t of this.timers) clearTimeout(t)
    await Promise.allSettled([...this.pending])
    await Promise.all([...this.devices.values()].map((e) => e.link.close()))
  }

  /** Adds (or, with delta 0, removes) a load on a zone: an overheat, a humidity surge. */
  setLoad(zone: string, delta: number, quantity: ZoneQuantityName = 'temperature'): void {
    const z = this.world.zone(zone)
    if (!z) throw new Error(`no zone "${zone}"`)
    z.setLoad(quantity, delta, this.now())
  }

  /** Publishes one sample from a device right now, outside its schedule. */
  publishNow(id: string): Record<string, unknown> {
    const entry = this.devices.get(id)
    if (!entry) throw new Error(`no simulated device "${id}"`)
    const sample = entry.device.sample(this.now())
    this.send(entry.device, entry.link, JSON.stringify(sample))
    return sample
  }

  /** Injects a fault now on the matching devices; resolves when connection faults have recovered. */
  async inject(request: FaultRequest): Promise<void> {
    const targets = this.match(request.devices ?? '*')
    const count = request.count ?? 1
    const downForMs = toMs(request.downFor ?? '1s')
    this.stats.faults++
    this.options.log?.(`fault ${request.fault} on ${targets.length} device(s)`)
    if (CONNECTION_FAULTS.has(request.fault)) {
      const cycles = request.fault === 'reconnect_storm' ? count : 1
      await Promise.all(
        targets.map(async (e) => {
          for (let i = 0; i < cycles; i++) await e.link.drop(downForMs)
        }),
      )
      return
    }
    const params = { count, offsetMs: toMs(request.offset ?? '10m'), size: request.size ?? 300_000 }
    for (const e of targets) {
      for (const m of faultMessages(request.fault, e.device, params, this.now()))
        this.send(e.device, e.link, m.payload)
    }
  }

  private clock(s: Scenario): SimClock {
    const day = new Date(this.startedAt)
    day.setUTCHours(0, 0, 0, 0)
    const simStart = day.getTime() + s.startHour * 3_600_000
    const startedAt = this.startedAt
    return {
      now: this.now,
      timeScale: s.timeScale,
      simTime: (real) => simStart + (real - startedAt) * s.timeScale,
    }
  }

  private addDevice(spec: DeviceSpec, clock: SimClock): void {
    const device = new SimDevice(spec, this.seed, this.world, clock)
    const link = new MqttLink(device, this.options.url, this.stats, (c) => {
      this.commands.push(c)
      for (const l of this.commandListeners) l(c)
    })
    this.devices.set(spec.id, { device, link, nextDue: Number.POSITIVE_INFINITY })
  }

  private tick(): void {
    const now = this.now()
    for (const e of this.devices.values()) {
      if (!e.device.publishes) continue
      if (now - e.nextDue > MAX_CATCH_UP_MS) e.nextDue = now
      while (e.nextDue <= now) {
        this.send(e.device, e.link, JSON.stringify(e.device.sample(now)))
        e.nextDue += e.device.spec.intervalMs
      }
    }
  }

  private send(device: SimDevice, link: MqttLink, payload: string | Buffer): void {
    if (typeof payload === 'string') device.lastPayload = payload
    link.publish(device.spec.topic, payload, device.spec.group.qos)
  }

  private match(pattern: string) {
    const all = [...this.devices.values()].filter((e) => e.device.publishes || !pattern.endsWith('*'))
    if (pattern === '*') return all
    if (pattern.endsWith('*')) return all.filter((e) => e.device.id.startsWith(pattern.slice(0, -1)))
    return all.filter((e) => e.device.id === pattern)
  }

  private schedule(e: ScenarioEvent): void {
    const timer = setTimeout(() => {
      if (e.kind === 'heat') {
        this.options.log?.(`zone ${e.zone}: ${e.quantity ?? 'temperature'} load ${e.delta}`)
        this.setLoad(e.zone, e.delta, e.quantity)
        return
      }
      const p = this.inject({ ...e, fault: e.fault }).catch((err: unknown) =>
        this.options.log?.(`fault ${e.fault} failed: ${(err as Error).message}`),
      )
      this.pending.add(p)
      void p.finally(() => this.pending.delete(p))
    }, toMs(e.at))
    this.timers.push(timer)
  }
}
