import { escape as influxEscape } from 'influx'

/**
 * Line-protocol encoding. Escaping rules come from the `influx` package; the wrappers add a fast path
 * (most names need no escaping) and handle what line protocol cannot carry: line breaks become the two
 * characters `\n`, empty tag values are left out (InfluxDB rejects them).
 */

const NEEDS_TAG_ESCAPE = /[,= \\\n\r]/
const NEEDS_MEASUREMENT_ESCAPE = /[, \\\n\r]/
const LINE_BREAK = /\r\n|\r|\n/g

function noBreaks(s: string): string {
  return s.includes('\n') || s.includes('\r') ? s.replace(LINE_BREAK, '\\n') : s
}

export function escapeMeasurement(s: string): string {
  return NEEDS_MEASUREMENT_ESCAPE.test(s) ? influxEscape.measurement(noBreaks(s)) : s
}

/** Tag keys, tag values and field keys share one escaping rule. */
export function escapeKey(s: string): string {
  return NEEDS_TAG_ESCAPE.test(s) ? influxEscape.tag(noBreaks(s)) : s
}

export function quoteString(s: string): string {
  return influxEscape.quoted(noBreaks(s))
}

export type FieldValue = number | boolean | string | bigint

/** Encodes one field value; `integer` asks for the `i` suffix (the type's schema says integer). */
export function encodeFieldValue(value: FieldValue, integer: boolean): string | null {
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) return null // NaN and ±Inf are not representable
      if (integer && Number.isInteger(value)) return `${value}i`
      return String(value)
    case 'bigint':
      return `${value}i`
    case 'boolean':
      return value ? 'true' : 'false'
    case 'string':
      return quoteString(value)
    default:
      return null
  }
}

export interface PointInput {
  measurement: string
  tags: Record<string, string>
  fields: Record<string, FieldValue>
  /** Epoch milliseconds. */
  time: number
  /** Field names to write as integers. */
  integerFields?: ReadonlySet<string>
}

/** One line, ms precision. Returns null when no field is representable (InfluxDB needs at least one). */
export function toLine(p: PointInput): string | null {
  let line = escapeMeasurement(p.measurement)
  // Sorted tag keys: InfluxDB's recommended order and cheaper series parsing.
  for (const key of Object.keys(p.tags).sort()) {
    const value = p.tags[key]
    if (value === undefined || value === '') continue
    line += `,${escapeKey(key)}=${escapeKey(value)}`
  }
  let sep = ' '
  let any = false
  for (const key in p.fields) {
    const encoded = encodeFieldValue(p.fields[key] as FieldValue, p.integerFields?.has(key) ?? false)
    if (encoded === null) continue
    line += `${sep}${escapeKey(key)}=${encoded}`
    sep = ','
    any = true
  }
  if (!any) return null
  return `${line} ${Math.trunc(p.time)}`
}
