/**
 * InfluxDB 1.x line protocol encoding, checked against a real InfluxDB 1.6 by
 * test/sinks/line-protocol-roundtrip.test.ts. What 1.x does (and why this is not the `influx` package's
 * escaper, which writes `\\` for a backslash in string fields only and breaks on trailing backslashes):
 *
 * - measurement: `,` and space are escaped with `\`; tag keys, tag values, field keys: `,` `=` space.
 * - a backslash in a name, tag or field key is stored as written (1.x does not unescape `\\`), but 1.x
 *   splits lines pairing backslashes and parses tokens treating any character after a backslash as
 *   escaped. So a part cannot end in a backslash, nor have an odd run of backslashes right before an
 *   escaped character: those backslashes are written as `＼` (U+FF3C). Measurement names are unescaped
 *   twice by 1.x, so there every backslash right before `,` `=` or space becomes `＼`. The rest is exact.
 * - string field values: `\` and `"` are escaped with `\` and come back exact.
 * - a line break cannot be inside a line (the outbox and InfluxDB split on it): it is written as the
 *   two characters `\n`, in names, tags and strings alike.
 * - InfluxDB rejects the key `time` for tags and fields, and empty tag values: those are left out.
 */

const NAME_SPECIAL = /[, \\\n\r]/
const KEY_SPECIAL = /[,= \\\n\r]/
const STRING_SPECIAL = /["\\\n\r]/
const LINE_BREAK = /\r\n|\r|\n/g
const FULLWIDTH_BACKSLASH = '\uff3c'
const TRAILING_BACKSLASHES = /\\+$/
const NAME_BREAK = /(\\*)([, ])/g
const NAME_EATEN = /\\+(?=[,= ])/g
const KEY_BREAK = /(\\*)([,= ])/g

/**
 * Escapes the break characters of one part. A run of backslashes before a break must have even length
 * (1.x's line splitter pairs backslashes) and none may end the part (its token parsers treat whatever
 * follows a backslash as escaped): the backslashes that cannot be written become `＼`.
 */
function escapePart(s: string, breaks: RegExp, keepRun: (run: string) => string): string {
  let t = s.includes('\n') || s.includes('\r') ? s.replace(LINE_BREAK, '\\n') : s
  if (t.endsWith('\\')) t = t.replace(TRAILING_BACKSLASHES, fullwidth)
  return t.replace(breaks, (_m, run: string, ch: string) => `${run ? keepRun(run) : ''}\\${ch}`)
}

function fullwidth(run: string): string {
  return FULLWIDTH_BACKSLASH.repeat(run.length)
}

/** Tags and field keys: an even run before a break is written as is, an odd one gives up its last. */
function evenRun(run: string): string {
  return run.length % 2 === 1 ? `${run.slice(1)}${FULLWIDTH_BACKSLASH}` : run
}

/** 1.x unescapes measurement names twice, so no backslash right before `,` `=` or space survives. */
export function escapeMeasurement(s: string): string {
  return NAME_SPECIAL.test(s) ? escapePart(s.replace(NAME_EATEN, fullwidth), NAME_BREAK, fullwidth) : s
}

/** Tag keys, tag values and field keys. */
export function escapeKey(s: string): string {
  return KEY_SPECIAL.test(s) ? escapePart(s, KEY_BREAK, evenRun) : s
}

export function quoteString(s: string): string {
  if (!STRING_SPECIAL.test(s)) return `"${s}"`
  return `"${s.replace(/["\\]/g, '\\$&').replace(LINE_BREAK, '\\\\n')}"`
}

export type FieldValue = number | boolean | string | bigint

const INT64_MAX = 9223372036854775807n
const INT64_MIN = -9223372036854775808n

/**
 * Encodes one field value; `integer` asks for the `i` suffix (the type's schema says integer).
 * Returns null for what line protocol cannot carry: NaN, ±Infinity, integers outside int64.
 */
export function encodeFieldValue(value: FieldValue, integer: boolean): string | null {
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) return null
      if (integer && Number.isInteger(value)) {
        // Below 2^63 a JS integer prints as plain digits; beyond it an `i` value would be rejected.
        if (value >= 9.2e18 || value <= -9.2e18) return null
        return `${value}i`
      }
      return String(value)
    case 'bigint':
      return value > INT64_MAX || value < INT64_MIN ? null : `${value}i`
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
    if (value === undefined || value === '' || key === 'time' || key === '') continue
    line += `,${escapeKey(key)}=${escapeKey(value)}`
  }
  let sep = ' '
  let any = false
  for (const key in p.fields) {
    if (key === 'time' || key === '') continue
    const encoded = encodeFieldValue(p.fields[key] as FieldValue, p.integerFields?.has(key) ?? false)
    if (encoded === null) continue
    line += `${sep}${escapeKey(key)}=${encoded}`
    sep = ','
    any = true
  }
  if (!any) return null
  return `${line} ${Math.trunc(p.time)}`
}
