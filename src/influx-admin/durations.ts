/**
 * The two kinds of duration the InfluxDB admin keys take. They are InfluxQL durations (whole numbers, no
 * fractions) rather than the gateway's `Duration`: `keep`/`retention` count in hours and up (InfluxDB's
 * shortest retention is 1h) and allow years; `every` is a GROUP BY interval.
 */

const HOUR = 3_600_000
const DAY = 24 * HOUR
const KEEP_UNIT_MS = { h: HOUR, d: DAY, w: 7 * DAY, y: 365 * DAY } as const
const EVERY_UNIT_MS = { s: 1000, m: 60_000, h: HOUR, d: DAY, w: 7 * DAY } as const

export const KEEP_PATTERN = '^[1-9][0-9]*(h|d|w|y)$'
export const EVERY_PATTERN = '^[1-9][0-9]*(s|m|h|d|w)$'
export const KEEP_HINT = 'a whole number of hours, days, weeks or years: 12h, 30d, 52w, 3y'
export const EVERY_HINT = 'a whole number of seconds, minutes, hours, days or weeks: 30s, 5m, 1h'

function parse(text: string, units: Record<string, number>): number {
  const m = /^([1-9][0-9]*)([a-z])$/.exec(text)
  const unit = m ? units[m[2] as string] : undefined
  if (!m || unit === undefined) throw new Error(`invalid duration "${text}"`)
  return Number(m[1]) * unit
}

/** Milliseconds of a `keep`/`retention` value (a year is 365 days). */
export function keepMs(keep: string): number {
  return parse(keep, KEEP_UNIT_MS)
}

/** Milliseconds of an `every` value. */
export function everyMs(every: string): number {
  return parse(every, EVERY_UNIT_MS)
}

/** The InfluxQL spelling of a keep value: InfluxQL has no years, so `3y` becomes `1095d`. */
export function influxKeep(keep: string): string {
  return keep.endsWith('y') ? `${keepMs(keep) / DAY}d` : keep
}

/**
 * Milliseconds of a Go duration as SHOW RETENTION POLICIES prints it (`8760h0m0s`, `0s` = forever → 0).
 * Returns NaN for text it does not understand, so a comparison with it never matches.
 */
export function goDurationMs(text: string): number {
  const re = /(\d+(?:\.\d+)?)(h|ms|m|s|µs|us|ns)/g
  const scale: Record<string, number> = { h: HOUR, m: 60_000, s: 1000, ms: 1, µs: 1e-3, us: 1e-3, ns: 1e-6 }
  let total = 0
  let matched = ''
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * (scale[m[2] as string] ?? Number.NaN)
    matched += m[0]
  }
  return matched === text && text !== '' ? total : Number.NaN
}
