import { Type } from '@sinclair/typebox'
import { SIZE_MARK } from './schema-check.js'

const UNIT_BYTES = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 } as const
const SIZE_RE = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB)$/

/**
 * A size in operator files: `512KiB`, `128MiB`, `1GB`, or a whole number of bytes. Like Duration, one
 * schema node (not a union) so a bad value gets one error, worded by schema-check's SIZE_MARK.
 */
export function Bytes(options: { default?: string | number; description?: string; minimum?: number } = {}) {
  const { minimum = 0, ...rest } = options
  return Type.Unsafe<number | string>({
    type: ['integer', 'string'],
    minimum,
    pattern: SIZE_RE.source,
    [SIZE_MARK]: true,
    description: 'size: 512KiB, 128MiB, 1GB, or bytes',
    ...rest,
  })
}

/** Bytes of a size that already passed schema validation. */
export function toBytes(size: number | string): number {
  if (typeof size === 'number') return size
  const m = SIZE_RE.exec(size)
  if (!m) throw new Error(`invalid size "${size}"`)
  return Math.round(Number(m[1]) * UNIT_BYTES[m[2] as keyof typeof UNIT_BYTES])
}
