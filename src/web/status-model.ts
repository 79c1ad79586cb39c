import type { CommandOutcome } from '../commands/command-outcome.js'
import type { DeadLetter } from '../core/dead-letter.js'
import type { Event } from '../core/event.js'
import type { GatewayContext } from '../extension.js'
import type { AlertTransition } from '../rules/effects.js'
import type { Features } from './features.js'
import { AlertBoard } from './state/alert-board.js'
import { CommandLog } from './state/command-log.js'
import { DeviceBoard, type SeenDevice } from './state/device-board.js'
import { RateHistory, type RateSample } from './state/rate-history.js'
import { Ring } from './state/ring.js'

/** Bounds of what the page keeps in memory. */
export const LIMITS = {
  deadLetters: 100,
  alertTransitions: 200,
  commands: 200,
  devices: 2000,
  /** Recent readings per device for its chart without InfluxDB: an hour, one slot per 30 s (sample-ring.ts). */
  samplesPerDevice: 120,
  /** Longest dead-letter payload preview, in characters. */
  payloadPreview: 200,
}

/** One row of the devices table: registry and what was heard, merged. */
export interface DeviceRow {
  id: string
  type: string | null
  registered: boolean
  availability: string | null
  availabilityReason: string | null
  lastSeen: number | null
  values: Record<string, unknown>
  tags: Record<string, string>
}

/**
 * What the status page knows, fed by the gateway (events, dead letters, alert and command topics) and
 * read by the JSON API and the SSE stream. Every list is bounded.
 */
export class StatusModel {
  readonly rates = new RateHistory()
  readonly devices = new DeviceBoard(LIMITS.devices, LIMITS.samplesPerDevice, (type) => this.notCharted(type))
  readonly alerts = new AlertBoard(LIMITS.alertTransitions)
  readonly commands = new CommandLog(LIMITS.commands)
  readonly deadLetters = new Ring<DeadLetter>(LIMITS.deadLetters)
  /** Messages in since start: accepted device events plus dead letters. */
  private messagesIn = 0

  /** Per device type name, its time and sequence fields (the catalog is loaded once, at start). */
  private readonly nonMeasurements = new Map<string, ReadonlySet<string>>()

  constructor(
    private readonly ctx: Pick<GatewayContext, 'broker' | 'sink' | 'config' | 'catalog'>,
    private readonly features: Features,
  ) {}

  /** A type's time and sequence fields: in every reading, but not what a chart of the device shows. */
  private notCharted(typeName: string): ReadonlySet<string> | undefined {
    let fields = this.nonMeasurements.get(typeName)
    if (fields === undefined) {
      const type = this.ctx.catalog.types.get(typeName)
      if (type === undefined) return undefined
      fields = new Set([type.timeField, type.seqField])
      this.nonMeasurements.set(typeName, fields)
    }
    return fields
  }

  onEvent(e: Event): SeenDevice | null {
    if (e.source !== 'internal') this.messagesIn++
    return this.devices.observe(e)
  }

  onDeadLetter(d: DeadLetter): void {
    this.messagesIn++
    this.deadLetters.push(d)
  }

  onAlert(t: AlertTransition): void {
    this.alerts.observe(t)
  }

  onCommand(o: CommandOutcome): void {
    this.commands.observe(o)
  }

  /** Called once a second: a new rate sample. */
  tick(now: number): RateSample | null {
    return this.rates.sample(now, this.messagesIn, this.ctx.sink.stats().delivered)
  }

  overview() {
    const s = this.ctx.sink.stats()
    const b = this.ctx.broker.stats
    const rules = this.features.rules?.status()
    const shape = this.features.influxShape?.status()
    const last = this.rates.samples.latest(1)[0]
    return {
      rates: { in: last?.in ?? 0, out: last?.out ?? 0 },
      influx: {
        state: s.authFailed ? 'auth_failed' : s.reachable ? 'ok' : 'buffering',
        reachable: s.reachable,
        pendingPoints: s.pendingPoints,
        oldestPendingAgeSeconds: Math.round(s.oldestPendingAgeMs / 100) / 10,
        delivered: s.delivered,
        dropped: s.dropped,
        lastError: s.lastError,
      },
      broker: {
        connections: b.connections,
        clients: b.clients,
        refusals: Object.fromEntries(b.refusals),
      },
      rules: { loaded: rules?.rules.length ?? 0, errors: rules?.errors.length ?? 0 },
      // The same figures as `tidegate influx status` (docs/influx.md), from the last reading.
      influxShape: shape
        ? {
            state: shape.state,
            lastError: shape.lastError,
            series: shape.series.at === null ? null : shape.series.total,
            maxSeries: shape.series.maxSeries,
            overLimit: shape.series.overLimit,
            diskBytes: shape.series.diskBytes,
          }
        : null,
      alerts: { firing: this.alerts.now().filter((a) => a.state === 'firing').length },
    }
  }

  history(): RateSample[] {
    return this.rates.samples.toArray()
  }

  deviceRows(search = ''): DeviceRow[] {
    const rows = new Map<string, DeviceRow>()
    const registry = this.features.registry
    for (const e of registry.entries())
      rows.set(e.id, { ...this.row(e.id), type: e.type, registered: true, tags: { ...e.tags } })
    for (const d of this.devices.all()) {
      const row = rows.get(d.id) ?? this.row(d.id)
      rows.set(d.id, {
        ...row,
        type: d.type,
        lastSeen: d.lastSeen,
        values: d.values,
        tags: { ...row.tags, ...d.tags },
      })
    }
    const q = search.trim().toLowerCase()
    const out = [...rows.values()].filter((r) => !q || matches(r, q))
    return out.sort((a, b) => a.id.localeCompare(b.id))
  }

  deviceRow(id: string): DeviceRow | null {
    const entry = this.features.registry.get(id)
    const seen = this.devices.get(id)
    if (!entry && !seen) return null
    const row = this.row(id)
    if (entry) Object.assign(row, { type: entry.type, registered: true, tags: { ...entry.tags } })
    if (seen)
      Object.assign(row, {
        type: seen.type,
        lastSeen: seen.lastSeen,
        values: seen.values,
        tags: { ...row.tags, ...seen.tags },
      })
    return row
  }

  deadLetterRows() {
    return this.deadLetters.latest().map((d) => ({
      at: d.at,
      reason: d.reason,
      topic: d.topic,
      device: d.device ?? null,
      type: d.type ?? null,
      encoding: d.encoding,
      preview:
        d.payload.length > LIMITS.payloadPreview
          ? `${d.payload.slice(0, LIMITS.payloadPreview)}…`
          : d.payload,
      bytes: d.payload.length,
      errors: d.errors,
    }))
  }

  private row(id: string): DeviceRow {
    const a = this.features.availability.get(id)
    return {
      id,
      type: null,
      registered: false,
      availability: a?.status ?? null,
      availabilityReason: a?.reason ?? null,
      lastSeen: null,
      values: {},
      tags: {},
    }
  }
}

function matches(r: DeviceRow, q: string): boolean {
  if (r.id.toLowerCase().includes(q) || (r.type ?? '').toLowerCase().includes(q)) return true
  return Object.entries(r.tags).some(([k, v]) => `${k}=${v}`.toLowerCase().includes(q))
}
