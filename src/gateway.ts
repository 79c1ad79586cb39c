import { resolve } from 'node:path'
import { Subject } from 'rxjs'
import { Broker, type BrokerHooks } from './broker/broker.js'
import { clusterNodeId } from './cluster/node-id.js'
import type { GatewayConfig } from './config/schema.js'
import { systemClock } from './core/clock.js'
import { toMs } from './core/duration.js'
import type { Event } from './core/event.js'
import { formatFileError } from './core/file-errors.js'
import { loadCatalog } from './devices/catalog.js'
import { createDeviceModel } from './devices/device-model.js'
import type { Extension, ExtensionFactory, GatewayContext, PublishTap } from './extension.js'
import { extensionFactories } from './extensions.js'
import { DeadLetters } from './ingest/dead-letters.js'
import { newHygieneCounters } from './ingest/hygiene/counters.js'
import { createHygieneGates } from './ingest/hygiene/gates.js'
import { createMqttIngestHook } from './ingest/mqtt-ingest.js'
import { Normalizer } from './ingest/normalize.js'
import { IngestPipeline } from './ingest/pipeline.js'
import { HttpServer } from './observability/http-server.js'
import { type Logger, RateLimitedLog } from './observability/logger.js'
import { Services } from './services.js'
import { createPointSink, influxClientFrom } from './sinks/influx/from-config.js'
import type { InfluxHttpClient } from './sinks/influx/http-client.js'
import type { PointSink } from './sinks/sink.js'

export interface GatewayOptions {
  config: Readonly<GatewayConfig>
  logger: Logger
  /** Folder that relative paths in the config resolve against (default: the working directory). */
  baseDir?: string
  /** Features to run (default: all of `src/extensions.ts`). */
  extensions?: ExtensionFactory[]
}

/**
 * The composition root: wires config → broker → ingest → event stream → extensions → sinks once.
 * Tests build the same Gateway with their own config.
 */
export class Gateway {
  readonly events = new Subject<Event>()
  readonly http: HttpServer
  readonly broker: Broker
  readonly influx: InfluxHttpClient
  readonly sink: PointSink
  readonly deadLetters: DeadLetters
  /** Set by start(); features reach the shared parts through it. */
  context!: GatewayContext
  /** Set by start() (it needs the catalog): normalise → gates → events. */
  private ingest!: IngestPipeline
  private running: Extension[] = []
  private started = false
  private ingestPublish: NonNullable<BrokerHooks['authorizePublish']> = (_c, _p, done) => done(null)
  private readonly logger: Logger
  private readonly config: Readonly<GatewayConfig>
  private readonly baseDir: string
  private readonly factories: ExtensionFactory[]

  constructor(options: GatewayOptions) {
    this.config = options.config
    this.logger = options.logger
    this.baseDir = options.baseDir ?? process.cwd()
    this.factories = options.extensions ?? extensionFactories
    const c = this.config
    this.influx = influxClientFrom(c.influx)
    this.deadLetters = new DeadLetters(
      (topic, payload) => this.publishQuietly(topic, payload),
      new RateLimitedLog(this.logger, c.ingest.deadLetterLogPerMinute),
    )
    this.sink = createPointSink(c.influx, this.path(c.dataDir), this.influx, this.logger, (d) =>
      this.deadLetters.record(d),
    )
    // The ingest hook needs the catalog, which start() loads; until then publishes pass through.
    // Authentication, ACL and rate limits run inside the broker before this ingest hook.
    // With cluster.redis the broker is shared with the other nodes (docs/cluster.md).
    const cluster = c.cluster.redis
      ? {
          redis: c.cluster.redis,
          nodeId: clusterNodeId(c.cluster),
          // A dead node's clients' wills go out about when its partitions move.
          heartbeatMs: Math.max(100, Math.floor(toMs(c.cluster.leaseTtl) / 3)),
        }
      : null
    this.broker = new Broker(
      c.mqtt,
      { authorizePublish: (client, packet, done) => this.ingestPublish(client, packet, done) },
      this.logger,
      undefined,
      cluster,
    )
    this.http = new HttpServer(c.http.host, c.http.port)
    this.http.route('/healthz', () => ({ status: 200, body: '{"status":"ok"}\n' }))
  }

  path(p: string): string {
    return resolve(this.baseDir, p)
  }

  async start(): Promise<void> {
    const { catalog, errors } = loadCatalog(this.path(this.config.catalog))
    // A bad device file is reported and left out; the other types keep working.
    for (const e of errors)
      this.logger.error({ file: e.file, line: e.line, code: e.code }, `device catalog: ${formatFileError(e)}`)
    // The device model answers questions (known? tags? online?); the devices features fill it from files
    // and MQTT. Ingest asks it, installs nothing into it.
    const devices = createDeviceModel(
      {
        config: this.config,
        catalog,
        broker: this.broker,
        sink: this.sink,
        emit: (event) => this.emit(event),
        logger: this.logger,
      },
      systemClock,
    )
    const normalizer = new Normalizer(catalog, {
      deviceTopicPrefix: this.config.ingest.deviceTopicPrefix,
      enrichTags: (device) => devices.registry.tagsFor(device),
    })
    const hygiene = newHygieneCounters()
    this.ingest = new IngestPipeline({
      normalizer,
      gates: createHygieneGates({
        config: this.config.devices,
        catalog,
        devices: devices.registry,
        deadLetters: this.deadLetters,
        counters: hygiene,
      }),
      deadLetters: this.deadLetters,
      emit: (event) => this.events.next(event),
    })
    const publishTaps: PublishTap[] = []
    const ctx: GatewayContext = {
      config: this.config,
      logger: this.logger,
      path: (p) => this.path(p),
      events: this.events,
      emit: (event) => this.emit(event),
      broker: this.broker,
      sink: this.sink,
      deadLetters: this.deadLetters,
      http: this.http,
      catalog,
      normalizer,
      ingest: this.ingest,
      hygiene,
      devices,
      commands: devices.commands,
      services: new Services(),
      publishTaps,
      features: () => this.running,
    }
    this.context = ctx
    const extensions = this.factories.map((f) => f(ctx)).filter((e): e is Extension => e !== null)
    this.ingestPublish = createMqttIngestHook({
      pipeline: this.ingest,
      whenAccepted: (cb) => this.sink.whenAccepted(cb),
      publishTaps,
    })
    await this.sink.start()
    // The broker exists (not yet listening) before features start, so they can subscribe to it.
    await this.broker.create()
    for (const ext of extensions) {
      await ext.start()
      this.running.push(ext)
    }
    await this.broker.start()
    await this.http.start()
    this.started = true
    this.logger.info(
      {
        mqtt: this.broker.listeners,
        http: this.http.address,
        types: [...catalog.types.keys()],
        extensions: extensions.map((e) => e.name),
      },
      'tidegate listening',
    )
  }

  /** Runs the ingest gates, then hands the event to every subscriber. Sources (serial, internal) call this. */
  emit(event: Event): void {
    this.ingest.accept(event)
  }

  /** Graceful stop: no new input, features stop in reverse, then flush what is pending within the deadline. */
  async stop(deadlineMs = 10_000): Promise<void> {
    if (!this.started) return
    this.started = false
    await this.broker.stop()
    for (const ext of this.running.reverse()) {
      try {
        await ext.stop()
      } catch (err) {
        this.logger.error({ err: (err as Error).message, extension: ext.name }, 'extension failed to stop')
      }
    }
    this.running = []
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
