import { join } from 'node:path'
import type { GatewayConfig } from '../../config/schema.js'
import type { DeadLetter } from '../../core/dead-letter.js'
import { toMs } from '../../core/duration.js'
import type { Logger } from '../../observability/logger.js'
import { LmdbChunkStore } from '../../store/lmdb-chunk-store.js'
import { MemoryChunkStore } from '../../store/memory-chunk-store.js'
import { InfluxHttpClient } from '../influx/http-client.js'
import type { PointSink } from '../sink.js'
import { influxConfigProblems } from './config-checker.js'
import { toBytes } from '../../core/size.js'
import { OutboxSink } from './outbox-sink.js'

type InfluxConfig = GatewayConfig['influx']

/** The InfluxDB client for the `influx` config section (v1 or v2 API). */
export function influxClientFrom(c: InfluxConfig): InfluxHttpClient {
  const problem = influxConfigProblems(c)[0]
  if (problem) throw new Error(`influx.${problem.path.join('.')}: ${problem.message}`)
  return new InfluxHttpClient({
    url: c.url.replace(/\/$/, ''),
    api: c.api,
    database: c.database,
    retentionPolicy: c.retentionPolicy,
    username: c.username,
    password: c.password,
    org: c.org,
    bucket: c.bucket,
    token: c.token,
    timeoutMs: toMs(c.timeout),
    gzipLevel: c.gzipLevel,
  })
}

/**
 * The point sink for the `influx` config section: the LMDB outbox under `<dataDir>/outbox`, or the same
 * delivery over an in-memory buffer when `influx.buffer.durable` is false.
 */
export function createPointSink(
  c: InfluxConfig,
  dataDir: string,
  client: InfluxHttpClient,
  logger: Logger,
  deadLetter: (d: DeadLetter) => void,
): PointSink {
  const store = c.buffer.durable ? new LmdbChunkStore(join(dataDir, 'outbox')) : new MemoryChunkStore()
  return new OutboxSink(
    store,
    client,
    {
      batchSize: c.batchSize,
      flushIntervalMs: toMs(c.flushInterval),
      concurrency: c.concurrency,
      maxBytes: toBytes(c.buffer.maxBytes),
      commitIntervalMs: toMs(c.buffer.commitInterval),
      createDatabase: c.createDatabase,
      retryBaseMs: 250,
      retryCapMs: toMs(c.maxRetryDelay),
      authRetryMs: 60_000,
    },
    logger.child({ component: 'outbox' }),
    deadLetter,
  )
}
