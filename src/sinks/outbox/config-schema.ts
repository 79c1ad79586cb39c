import { Type } from '@sinclair/typebox'
import { Duration } from '../../core/duration.js'
import { Bytes } from '../../core/size.js'

/** An outbox's buffer section (`influx.buffer`, docs/influx.md). */
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
