import type { Event } from '../../core/event.js'
import type { DeviceType } from '../../devices/catalog.js'
import { type FieldValue, toLine } from './line-protocol.js'

interface TypePlan {
  measurement: string
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

/** Maps telemetry events to line protocol, with a per-type plan computed once. */
export class EventPointMapper {
  private readonly plans = new Map<string, TypePlan>()

  constructor(types: ReadonlyMap<string, DeviceType>) {
    for (const type of types.values()) {
      this.plans.set(type.name, {
        measurement: type.measurement,
        skip: new Set([...type.tagFields, type.timeField, type.seqField]),
        fieldNames: type.fieldNames,
        integerFields: integerFieldsOf(type),
      })
    }
  }

  toLine(event: Event): string | null {
    const plan = this.plans.get(event.type)
    if (!plan) return null
    const fields: Record<string, FieldValue> = {}
    const data = event.data
    if (plan.fieldNames) {
      for (const name of plan.fieldNames) {
        const v = data[name]
        if (v !== undefined && v !== null)
          fields[name] = typeof v === 'object' ? JSON.stringify(v) : (v as FieldValue)
      }
    } else {
      for (const name in data) {
        if (plan.skip.has(name)) continue
        const v = data[name]
        const t = typeof v
        if (t === 'number' || t === 'string' || t === 'boolean') fields[name] = v as FieldValue
      }
    }
    return toLine({
      measurement: plan.measurement,
      tags: { ...event.tags, device: event.device },
      fields,
      time: event.time,
      integerFields: plan.integerFields,
    })
  }
}
