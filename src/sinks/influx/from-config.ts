import type { GatewayConfig } from '../../config/schema.js'
import type { DeadLetter } from '../../core/dead-letter.js'
import { toMs } from '../../core/duration.js'
import { toBytes } from '../../core/size.js'
import type { Logger } from '../../observability/logger.js'
import { createOutbox } from '../outbox/create-outbox.js'
import type { PointSink } from '../sink.js'
import { influxConfigProblems } from './config-check.js'
import { InfluxHttpClient } from './http-client.js'
import { InfluxOutput } from './output.js'

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
 * The point sink for the `influx` config section: the InfluxDB output plugin in an outbox host, on LMDB
 * under `<dataDir>/outbox` (or memory when `influx.buffer.durable` is false).
 */
export function createPointSink(
  c: InfluxConfig,
  dataDir: string,
  client: InfluxHttpClient,
  logger: Logger,
  deadLetter: (d: DeadLetter) => void,
): PointSink {
  const log = logger.child({ component: 'outbox' })
  return createOutbox({
    plugin: new InfluxOutput(client, { createDatabase: c.createDatabase, authRetryMs: 60_000 }, log),
    durable: c.buffer.durable,
    dataDir,
    folder: 'outbox',
    options: {
      batchSize: c.batchSize,
      flushIntervalMs: toMs(c.flushInterval),
      concurrency: c.concurrency,
      maxBytes: toBytes(c.buffer.maxBytes),
      commitIntervalMs: toMs(c.buffer.commitInterval),
      unackedCommitIntervalMs: toMs(c.buffer.unackedCommitInterval),
      retryBaseMs: 250,
      retryCapMs: toMs(c.maxRetryDelay),
    },
    logger: log,
    deadLetter,
  })
}
