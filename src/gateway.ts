import { resolve } from 'node:path'
import { Subject } from 'rxjs'
import { Broker, type BrokerHooks } from './broker/broker.js'
import type { GatewayConfig } from './config/schema.js'
import { toMs } from './core/duration.js'
import type { Event } from './core/event.js'
import { formatFileError } from './core/file-errors.js'
import { type Catalog, loadCatalog } from './devices/catalog.js'
import { DeadLetters } from './ingest/dead-letters.js'
import { createMqttIngestHook } from './ingest/mqtt-ingest.js'
import { Normalizer } from './ingest/normalize.js'
import { HttpServer } from './observability/http-server.js'
import { type Logger, RateLimitedLog } from './observability/logger.js'
import { BatchingInfluxWriter } from './sinks/influx/batching-writer.js'
import { EventPointMapper } from './sinks/influx/event-point.js'
import { InfluxHttpClient } from './sinks/influx/http-client.js'
import type { PointSink } from './sinks/sink.js'

export interface GatewayOptions {
  config: Readonly<GatewayConfig>
  logger: Logger
  /** Folder that relative paths in the config resolve against (default: the working directory). */
  baseDir?: string
}

/**
 * The composition root: wires config → broker → ingest → event stream → sinks once.
 * Tests build the same Gateway with their own config.
 */
export class Gateway {
  readonly events = new Subject<Event>()
  readonly http: HttpServer
  readonly broker: Broker
  readonly influx: InfluxHttpClient
  readonly sink: PointSink
  readonly deadLetters: DeadLetters
  catalog!: Catalog
  private normalizer!: Normalizer
  private mapper!: EventPointMapper
  private started = false
  private ingestPublish: BrokerHooks['authorizePublish'] & {} = (_c, _p, done) => done(null)
  private readonly logger: Logger
  private readonly config: Readonly<GatewayConfig>
  private readonly baseDir: string

  constructor(options: GatewayOptions) {
    this.config = options.config
    this.logger = options.logger
    this.baseDir = options.baseDir ?? process.cwd()
    const c = this.config
    this.influx = new InfluxHttpClient({
      url: c.influx.url.replace(/\/$/, ''),
      database: c.influx.database,
      retentionPolicy: c.influx.retentionPolicy,
      username: c.influx.username,
      password: c.influx.password,
      timeoutMs: toMs(c.influx.timeout),
    })
    this.deadLetters = new DeadLetters(
      (topic, payload) => this.publishQuietly(topic, payload),
      new RateLimitedLog(this.logger, c.ingest.deadLetterLogPerMinute),
    )
    this.sink = new BatchingInfluxWriter(
      this.influx,
      {
        batchSize: c.influx.batchSize,
        flushIntervalMs: toMs(c.influx.flushInterval),
        maxPendingLines: 1_000_000,
        createDatabase: c.influx.createDatabase,
      },
      this.logger,
    )
    // The ingest hook needs the catalog, which start() loads; until then publishes pass through.
    this.broker = new Broker(c.mqtt, {
      authorizePublish: (client, packet, done) => this.ingestPublish(client, packet, done),
    })
    this.http = new HttpServer(c.http.host, c.http.port)
    this.http.route('/healthz', () => ({ status: 200, body: '{"status":"ok"}\n' }))
  }

  path(p: string): string {
    return resolve(this.baseDir, p)
  }

  async start(): Promise<void> {
    const { catalog, errors } = loadCatalog(this.path(this.config.catalog))
    for (const e of errors)
      this.logger.error({ file: e.file, line: e.line }, `device catalog: ${formatFileError(e)}`)
    this.catalog = catalog
    this.normalizer = new Normalizer(catalog, { deviceTopicPrefix: this.config.ingest.deviceTopicPrefix })
    this.mapper = new EventPointMapper(catalog.types)
    this.ingestPublish = createMqttIngestHook({
      normalizer: this.normalizer,
      deadLetters: this.deadLetters,
      emit: (event) => this.events.next(event),
      whenAccepted: (cb) => this.sink.whenAccepted(cb),
    })
    this.events.subscribe((event) => {
      const line = this.mapper.toLine(event)
      if (line !== null) this.sink.write(line, 'telemetry')
    })
    await this.sink.start()
    await this.broker.start()
    await this.http.start()
    this.started = true
    this.logger.info(
      { mqtt: this.broker.listeners, http: this.http.address, types: [...catalog.types.keys()] },
      'tidegate listening',
    )
  }

  /** Graceful stop: no new input, then flush what is pending within the deadline. */
  async stop(deadlineMs = 10_000): Promise<void> {
    if (!this.started) return
    this.started = false
    await this.broker.stop()
    this.events.complete()
    await this.sink.close(deadlineMs)
    await this.http.stop()
    this.logger.info('tidegate stopped')
  }

  private publishQuietly(topic: string, payload: string): void {
    this.broker.publish(topic, payload).catch((err: unknown) => {
      this.logger.warn({ err: (err as Error).message, topic }, 'internal publish failed')
    })
  }
}
