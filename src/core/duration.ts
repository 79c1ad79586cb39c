import { Type } from '@sinclair/typebox'
import { DURATION_MARK } from './schema-check.js'

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const
const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/

/**
 * A duration in operator files: `250ms`, `10s`, `5m`, `2h`, `7d`, or a whole number of milliseconds.
 * One schema node (not a union) so a bad value gets one error, worded by schema-check's DURATION_MARK.
 */
export function Duration(options: { default?: string | number; description?: string } = {}) {
  return Type.Unsafe<number | string>({
    type: ['integer', 'string'],
    minimum: 0,
    pattern: DURATION_RE.source,
    [DURATION_MARK]: true,
    description: 'duration: 250ms, 10s, 5m, 2h, 7d, or milliseconds',
    ...options,
  })
}

/** Milliseconds of a duration that already passed schema validation. */
export function toMs(d: number | string): number {
  if (typeof d === 'number') return d
  const m = DURATION_RE.exec(d)
  if (!m) throw new Error(`invalid duration "${d}"`)
  return Math.round(Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS])
}
