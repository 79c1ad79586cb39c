import { Type } from '@sinclair/typebox'
import { Duration } from '../../core/duration.js'
import { Bytes } from '../../core/size.js'

/** An outbox's `buffer` section (`influx.buffer`, `upstream.buffer`; docs/influx.md, docs/upstream.md). */
export function outboxBufferSchema(o: {
  maxBytes: string
  durable: string
  bound: string
  commit: string
  unackedCommit: string
}) {
  return Type.Object(
    {
      durable: Type.Boolean({ default: true, description: o.durable }),
      maxBytes: Bytes({ default: o.maxBytes, minimum: 1024, description: o.bound }),
      commitInterval: Duration({ default: '5ms', description: o.commit }),
      unackedCommitInterval: Duration({ default: '100ms', description: o.unackedCommit }),
    },
    { additionalProperties: false, default: {} },
  )
}

/** `influx.buffer`: the outbox between the event stream and InfluxDB (docs/influx.md). */
export const OutboxBufferSchema = outboxBufferSchema({
  maxBytes: '128MiB',
  durable:
    'true: the LMDB outbox under <dataDir>/outbox (survives restarts and kill -9; QoS 1 PUBACK waits for it); false: memory only',
  bound:
    'bound of the buffered line protocol; when full the oldest points are dropped (telemetry before alerts)',
  commit:
    'group commit: lines written within this interval share one disk sync (when a QoS 1 PUBACK waits for them, and for alerts and derived points)',
  unackedCommit:
    'group commit of telemetry no acknowledgement waits for (QoS 0, serial): fewer, larger commits; a crash loses at most this window of unacknowledged readings',
})
