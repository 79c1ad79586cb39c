import { type Static, Type } from '@sinclair/typebox'
import { MqttSchema } from '../broker/config-schema.js'
import { ClusterSchema } from '../cluster/config-schema.js'
import { Duration } from '../core/duration.js'
import { DevicesConfigSchema } from '../devices/registry-config.js'
import { influxAdminKeys } from '../influx-admin/config-schema.js'
import { SerialSectionSchema } from '../ingest/serial/config-schema.js'
import { JournalConfigSchema } from '../journal/config-schema.js'
import { MetricsSchema } from '../observability/config-schema.js'
import { OutboxBufferSchema } from '../sinks/outbox/config-schema.js'
import { UpstreamSchema } from '../sinks/upstream/config-schema.js'

/**
 * The gateway config: this schema is the single source of its type, defaults and validation.
 * Each section is its own schema so a feature owns its keys; docs/config.md describes them.
 */

// The mqtt section lives with the broker that owns it.
export { ListenerSchema, MqttSchema } from '../broker/config-schema.js'

export const InfluxSchema = Type.Object(
  {
    url: Type.String({ default: 'http://127.0.0.1:8086', description: 'InfluxDB HTTP API base URL' }),
    api: Type.Union([Type.Literal('v1'), Type.Literal('v2')], {
      default: 'v1',
      description:
        'v1: /write (database, retentionPolicy, username/password); v2: /api/v2/write (org, bucket, token)',
    }),
    database: Type.String({ default: 'tidegate', minLength: 1 }),
    retentionPolicy: Type.Optional(Type.String()),
    username: Type.Optional(Type.String()),
    password: Type.Optional(Type.String()),
    org: Type.Optional(Type.String({ minLength: 1, description: 'v2 organisation' })),
    bucket: Type.Optional(Type.String({ minLength: 1, description: 'v2 bucket (default: database)' })),
    token: Type.Optional(Type.String({ description: 'v2 API token, sent as Authorization: Token' })),
    batchSize: Type.Integer({
      minimum: 1,
      maximum: 100_000,
      default: 5000,
      description: 'lines per write request',
    }),
    flushInterval: Duration({ default: '1s', description: 'longest a point waits before a write' }),
    createDatabase: Type.Boolean({ default: true }),
    timeout: Duration({ default: '10s' }),
    concurrency: Type.Integer({
      minimum: 1,
      maximum: 4,
      default: 2,
      description: 'write requests in flight',
    }),
    maxRetryDelay: Duration({ default: '30s', description: 'cap of the exponential retry backoff' }),
    gzipLevel: Type.Integer({
      minimum: 0,
      maximum: 9,
      default: 1,
      description: 'gzip level of write bodies',
    }),
    buffer: OutboxBufferSchema,
    // retention, downsample, maxSeries: the database-shape feature (src/influx-admin/).
    ...influxAdminKeys,
  },
  { additionalProperties: false, default: {} },
)

export const HttpSchema = Type.Object(
  {
    host: Type.String({ default: '127.0.0.1' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  },
  { additionalProperties: false, default: {} },
)

export const LogSchema = Type.Object(
  {
    level: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
      { default: 'info' },
    ),
    pretty: Type.Union([Type.Boolean(), Type.Literal('auto')], {
      default: 'auto',
      description: 'human-readable lines (needs pino-pretty); auto = only on a terminal, JSON otherwise',
    }),
    repeatedPerMinute: Type.Integer({
      minimum: 0,
      default: 30,
      description: 'warnings/errors with the same message logged per minute, then counted; 0 = no limit',
    }),
  },
  { additionalProperties: false, default: {} },
)

export const IngestSchema = Type.Object(
  {
    deviceTopicPrefix: Type.String({
      default: 'devices/',
      description: 'publishes under this prefix that match no device type are dead-lettered (no_type)',
    }),
    deadLetterLogPerMinute: Type.Integer({ minimum: 0, default: 20 }),
  },
  { additionalProperties: false, default: {} },
)

export const GatewayConfigSchema = Type.Object(
  {
    version: Type.Literal(1, { default: 1 }),
    mqtt: MqttSchema,
    influx: InfluxSchema,
    catalog: Type.String({ default: './devices', description: 'folder of device type files' }),
    rules: Type.String({ default: './rules', description: 'folder of rule files' }),
    http: HttpSchema,
    dataDir: Type.String({ default: './data', description: 'folder for the outbox, journal and state' }),
    log: LogSchema,
    metrics: MetricsSchema,
    ingest: IngestSchema,
    devices: DevicesConfigSchema,
    journal: JournalConfigSchema,
    serial: SerialSectionSchema,
    upstream: Type.Optional(UpstreamSchema),
    cluster: ClusterSchema,
  },
  { additionalProperties: false },
)

export type GatewayConfig = Static<typeof GatewayConfigSchema>
