import type { Event } from '../../core/event.js'
import type { DeviceType } from '../../devices/catalog.js'
import { encodeFieldValue, escapeKey, escapeMeasurement } from './line-protocol.js'

interface TypePlan {
  /** Already escaped. */
  measurement: string
  /** Payload keys that are not fields: tags, time, seq. */
  skip: ReadonlySet<string>
  fieldNames: readonly string[] | null
  integerFields: ReadonlySet<string>
}

/** Integer-typed properties of a payload schema: only these get the `i` suffix, so 21 and 21.5 share a float field. */
function integerFieldsOf(type: DeviceType): Set<string> {
  const props =
    (type.definition.schema as { properties?: Record<string, { type?: unknown }> }).properties ?? {}
  const out = new Set<string>()
  for (const [name, s] of Object.entries(props)) {
    if (
      s.type === 'integer' ||
      (Array.isArray(s.type) && s.type.includes('integer') && !s.type.includes('number'))
    )
      out.add(name)
  }
  return out
}

/** Escaped names repeat on every point; a bounded cache keeps a hostile key stream from growing memory. */
const MAX_CACHED_KEYS = 10_000

/**
 * Maps telemetry events to line protocol, with a per-type plan computed once. This is the hot path:
 * it writes the line directly (no intermediate point object, no tag-object copy) and caches escaped keys.
 */
export class EventPointMapper {
  private readonly plans = new Map<string, TypePlan>()
  private readonly keys = new Map<string, string>()

  constructor(types: ReadonlyMap<string, DeviceType>) {
    for (const type of types.values()) {
      this.plans.set(type.name, {
        measurement: escapeMeasurement(type.measurement),
        skip: new Set([...type.tagFields, type.timeField, type.seqField]),
        fieldNames: type.fieldNames,
        integerFields: integerFieldsOf(type),
      })
    }
  }

  /** The event as one line (ms precision), or null for an unknown type or no writable field. */
  toLine(event: Event): string | null {
    const plan = this.plans.get(event.type)
    if (!plan) return null
    let line = plan.measurement + this.tagSet(event)
    let sep = ' '
    const data = event.data
    if (plan.fieldNames) {
      for (const name of plan.fieldNames) {
        const v = data[name]
        if (v === undefined || v === null || name === 'time') continue
        const encoded =
          typeof v === 'object'
            ? encodeFieldValue(JSON.stringify(v), false)
            : encodeFieldValue(v as number, plan.integerFields.has(name))
        if (encoded === null) continue
        line += `${sep}${this.key(name)}=${encoded}`
        sep = ','
      }
    } else {
      for (const name in data) {
        if (plan.skip.has(name) || name === 'time') continue
        const v = data[name]
        const t = typeof v
        if (t !== 'number' && t !== 'string' && t !== 'boolean') continue
        const encoded = encodeFieldValue(v as number, plan.integerFields.has(name))
        if (encoded === null) continue
        line += `${sep}${this.key(name)}=${encoded}`
        sep = ','
      }
    }
    if (sep === ' ') return null
    return `${line} ${Math.trunc(event.time)}`
  }

  /** `,k=v` pairs for the event's tags plus `device`, sorted by key as InfluxDB prefers. */
  private tagSet(event: Event): string {
    const tags = event.tags
    const names = Object.keys(tags)
    let out = ''
    if (names.length === 0) return event.device ? `,device=${escapeKey(event.device)}` : ''
    if (!Object.hasOwn(tags, 'device')) names.push('device')
    names.sort()
    for (const name of names) {
      const value = name === 'device' ? event.device : tags[name]
      if (value === undefined || value === '' || name === 'time') continue
      out += `,${this.key(name)}=${escapeKey(value)}`
    }
    return out
  }

  private key(name: string): string {
    let escaped = this.keys.get(name)
    if (escaped === undefined) {
      escaped = escapeKey(name)
      if (this.keys.size >= MAX_CACHED_KEYS) this.keys.clear()
      this.keys.set(name, escaped)
    }
    return escaped
  }
}
