import { Type } from '@sinclair/typebox'
import { Duration } from '../../core/duration.js'

const UNIT_BYTES = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 } as const
const BYTES_RE = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB)$/

/** A size in operator files: `512KiB`, `128MiB`, `1GB`, or a number of bytes. */
export function Bytes(options: { default?: string | number; description?: string; minimum?: number } = {}) {
  const { minimum = 0, ...rest } = options
  return Type.Union([Type.Integer({ minimum }), Type.String({ pattern: BYTES_RE.source })], {
    description: 'size: 512KiB, 128MiB, 1GB, or bytes',
    ...rest,
  })
}

/** Bytes of a size that already passed schema validation. */
export function toBytes(size: number | string): number {
  if (typeof size === 'number') return size
  const m = BYTES_RE.exec(size)
  if (!m) throw new Error(`invalid size "${size}"`)
  return Math.round(Number(m[1]) * UNIT_BYTES[m[2] as keyof typeof UNIT_BYTES])
}

/** `influx.buffer`: the outbox between the event stream and InfluxDB (docs/influx.md). */
export const OutboxBufferSchema = Type.Object(
  {
    durable: Type.Boolean({
      default: true,
      description:
        'true: the LMDB outbox under <dataDir>/outbox (survives restarts and kill -9; QoS 1 PUBACK waits for it); false: memory only',
    }),
    maxBytes: Bytes({
      default: '128MiB',
      minimum: 1024,
      description:
        'bound of the buffered line protocol; when full the oldest points are dropped (telemetry before alerts)',
    }),
    commitInterval: Duration({
      default: '5ms',
      description: 'group commit: lines written within this interval share one disk sync',
    }),
  },
  { additionalProperties: false, default: {} },
)
