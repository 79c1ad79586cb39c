import { type Event, sameTags } from '../../core/event.js'
import type { DeviceType } from '../../devices/catalog.js'
import { encodeFieldValue, escapeKey, escapeMeasurement } from './line-protocol.js'

interface TypePlan {
  /** Already escaped. */
  measurement: string
  /** Payload keys that are not fields: tags, time, seq. */
  skip: ReadonlySet<string>
  /**
   * The fields to look up, in order: the type's `fields`, or, when the schema closes the payload
   * (`additionalProperties: false`), its scalar-capable properties. Null: walk the payload's keys.
   */
  fieldList: readonly string[] | null
  /** Listed fields may be objects (written as JSON); default fields are scalars only. */
  explicitFields: boolean
  integerFields: ReadonlySet<string>
  /** Escaped `name=` of each entry of fieldList. */
  fieldKeys: readonly string[]
  /** The type's tag names plus `device`, sorted; the fast path when an event has no other tags. */
  tagOrder: readonly string[]
  /** Escaped `,name=` of each entry of tagOrder. */
  tagKeys: readonly string[]
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

/** The properties of a schema that allows no others, or null when the payload may carry any key. */
function closedProperties(type: DeviceType): string[] | null {
  const schema = type.definition.schema as {
    properties?: Record<string, unknown>
    additionalProperties?: unknown
  }
  if (schema.additionalProperties !== false || !schema.properties) return null
  return Object.keys(schema.properties)
}

/** Escaped names repeat on every point; a bounded cache keeps a hostile key stream from growing memory. */
const MAX_CACHED_KEYS = 10_000

/**
 * Maps telemetry events to line protocol, with a per-type plan computed once. This is the hot path:
 * it writes the line directly (no intermediate point object, no tag-object copy) and caches escaped keys.
 */
export class EventPointMapper {
  private readonly plans = new Map<string, TypePlan>()
  /** Per device: its line's measurement and tag set, reused while its type and tags stay the same. */
  private readonly series = new Map<
    string,
    { type: string; tags: Readonly<Record<string, string>>; text: string }
  >()
  private readonly keys = new Map<string, string>()
  private readonly tagOrders = new Map<string, readonly string[]>()

  constructor(types: ReadonlyMap<string, DeviceType>) {
    for (const type of types.values()) {
      const skip = new Set([...type.tagFields, type.timeField, type.seqField, 'time'])
      const fieldList =
        type.fieldNames?.filter((f) => f !== 'time') ??
        closedProperties(type)?.filter((p) => !skip.has(p)) ??
        null
      const tagOrder = [...new Set([...type.tagFields, 'device'])].filter((t) => t !== 'time').sort()
      this.plans.set(type.name, {
        measurement: escapeMeasurement(type.measurement),
        skip,
        fieldList,
        fieldKeys: (fieldList ?? []).map((f) => `${escapeKey(f)}=`),
        explicitFields: type.fieldNames !== null,
        integerFields: integerFieldsOf(type),
        tagOrder,
        tagKeys: tagOrder.map((t) => `,${escapeKey(t)}=`),
      })
    }
  }

  /** The event as one line (ms precision), or null for an unknown type or no writable field. */
  toLine(event: Event): string | null {
    const plan = this.plans.get(event.type)
    if (!plan) return null
    let line = this.seriesText(event, plan)
    let sep = ' '
    const data = event.data
    const list = plan.fieldList
    if (list) {
      for (let i = 0; i < list.length; i++) {
        const name = list[i] as string
        const v = data[name]
        if (v === undefined || v === null) continue
        let encoded: string | null
        if (typeof v === 'object') {
          if (!plan.explicitFields) continue
          encoded = encodeFieldValue(JSON.stringify(v), false)
        } else encoded = encodeFieldValue(v as number, plan.integerFields.has(name))
        if (encoded === null) continue
        line += sep + (plan.fieldKeys[i] as string) + encoded
        sep = ','
      }
    } else {
      for (const name in data) {
        if (plan.skip.has(name)) continue
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

  /**
   * Measurement and tag set. A device's tags rarely change between readings, and building the set (a sort
   * order, an escape check per value, a string per pair) was most of a line's work, so it is kept per device.
   */
  private seriesText(event: Event, plan: TypePlan): string {
    const hit = this.series.get(event.device)
    if (hit !== undefined && hit.type === event.type && sameTags(hit.tags, event.tags)) return hit.text
    const text = plan.measurement + this.tagSet(event, plan)
    // Bounded like the key cache: a stream of made-up device ids must not grow memory.
    if (hit === undefined && this.series.size >= MAX_CACHED_KEYS) this.series.clear()
    this.series.set(event.device, { type: event.type, tags: { ...event.tags }, text })
    return text
  }

  /** `,k=v` pairs for the event's tags plus `device`, sorted by key as InfluxDB prefers. */
  private tagSet(event: Event, plan: TypePlan): string {
    const tags = event.tags
    // Fast path: only the type's own tags (the usual case): their sorted order is known.
    let extra = false
    for (const name in tags) {
      if (!plan.tagOrder.includes(name)) {
        extra = true
        break
      }
    }
    let out = ''
    if (!extra) {
      for (let i = 0; i < plan.tagOrder.length; i++) {
        const name = plan.tagOrder[i] as string
        const value = name === 'device' ? event.device : tags[name]
        if (value !== undefined && value !== '') out += (plan.tagKeys[i] as string) + escapeKey(value)
      }
      return out
    }
    // Registry tags: devices of a site share their tag names, so the sorted order is cached by them.
    const keys = Object.keys(tags)
    const signature = keys.join('\u0000')
    let order = this.tagOrders.get(signature)
    if (!order) {
      order = [...new Set([...keys, 'device'])].filter((t) => t !== 'time').sort()
      if (this.tagOrders.size >= MAX_CACHED_KEYS) this.tagOrders.clear()
      this.tagOrders.set(signature, order)
    }
    for (let i = 0; i < order.length; i++) {
      const name = order[i] as string
      const value = name === 'device' ? event.device : tags[name]
      if (value !== undefined && value !== '') out += `,${this.key(name)}=${escapeKey(value)}`
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
