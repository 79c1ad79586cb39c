import { collectDefaultMetrics, Registry } from 'prom-client'
import type { DeadLetterReason } from '../core/dead-letter.js'
import type { GatewayContext } from '../extension.js'
import { hygieneSamples } from '../ingest/hygiene/counters.js'
import type { PointSinkStats } from '../sinks/sink.js'
import type { EventLoopDelay } from './event-loop-delay.js'
import type { Sample } from './metrics-source.js'
import { byLabel, renderSamples, scrapeCounter, scrapeGauge, single } from './scrape-metrics.js'
import { registerServiceMetrics } from './service-metrics.js'
import type { TrafficCounters } from './traffic-counters.js'

/** Dead-letter reasons that mean "the input itself was bad", as opposed to late, duplicate or undeliverable. */
const INVALID_REASONS: ReadonlySet<DeadLetterReason> = new Set([
  'invalid_json',
  'schema',
  'no_type',
  'unknown_device',
  'oversize',
  'frame',
])

export interface GatewayMetricsOptions {
  processMetrics: boolean
}

/**
 * The gateway's Prometheus registry: its own Registry (never prom-client's global one), so several
 * gateways in one process (tests) do not collide. Every family reads its numbers at scrape time.
 */
export class GatewayMetrics {
  readonly registry = new Registry()
  private sinkStats: PointSinkStats | null = null
  private readonly reportedSkips = new Set<string>()

  constructor(
    private readonly ctx: GatewayContext,
    private readonly traffic: TrafficCounters,
    private readonly loop: EventLoopDelay,
    private readonly options: GatewayMetricsOptions,
  ) {}

  /** Defines every family; call once from the extension's start(). */
  register(): void {
    const r = this.registry
    if (this.options.processMetrics) collectDefaultMetrics({ register: r })
    this.registerIngest(r)
    this.registerBroker(r)
    this.registerSink(r)
    scrapeGauge(r, {
      name: 'tidegate_event_loop_delay_seconds',
      help: 'Event-loop delay since the previous scrape (perf_hooks.monitorEventLoopDelay); quantile 1 is the max',
      labelNames: ['quantile'],
      read: () => this.loop.read(),
    })
    scrapeGauge(r, {
      name: 'tidegate_catalog_device_types',
      help: 'Device types loaded from the catalog',
      read: () => single(this.ctx.catalog.types.size),
    })
    registerServiceMetrics(r, this.ctx)
  }

  private registerIngest(r: Registry): void {
    const dead = this.ctx.deadLetters.counts
    scrapeCounter(r, {
      name: 'tidegate_messages_in_total',
      help: 'Events accepted into the event stream, by source (mqtt, serial, internal), device type and stream',
      labelNames: ['source', 'type', 'stream'],
      read: () => this.traffic.eventSeries(),
    })
    scrapeCounter(r, {
      name: 'tidegate_messages_invalid_total',
      help: 'Inputs refused as invalid (not JSON, schema, no type, unknown device, oversize, bad frame), by reason',
      labelNames: ['reason'],
      read: () =>
        byLabel(
          'reason',
          [...dead].filter(([reason]) => INVALID_REASONS.has(reason)),
        ),
    })
    scrapeCounter(r, {
      name: 'tidegate_dead_letters_total',
      help: 'Dead letters recorded, by reason',
      labelNames: ['reason'],
      read: () => byLabel('reason', dead),
    })
  }

  private registerBroker(r: Registry): void {
    scrapeCounter(r, {
      name: 'tidegate_mqtt_publishes_total',
      help: 'Messages published through the broker, by origin (client or gateway) and kind (from the topic)',
      labelNames: ['origin', 'kind'],
      read: () => this.traffic.publishSeries(),
    })
    scrapeGauge(r, {
      name: 'tidegate_mqtt_connected_clients',
      help: 'MQTT clients connected to the embedded broker',
      read: () => {
        try {
          return single(this.ctx.broker.stats.clients)
        } catch {
          return single(0) // broker not started or already stopped
        }
      },
    })
    scrapeGauge(r, {
      name: 'tidegate_mqtt_listeners',
      help: 'MQTT listeners bound and accepting connections',
      read: () => single(this.ctx.broker.listeners.length),
    })
  }

  private registerSink(r: Registry): void {
    const s = () => this.sinkStats ?? this.ctx.sink.stats()
    scrapeCounter(r, {
      name: 'tidegate_influx_points_delivered_total',
      help: 'Points InfluxDB confirmed (2xx)',
      read: () => single(s().delivered),
    })
    scrapeCounter(r, {
      name: 'tidegate_influx_write_retries_total',
      help: 'Write requests that failed with a retryable error (network, 5xx, 429) and were retried',
      read: () => single(s().retried),
    })
    scrapeCounter(r, {
      name: 'tidegate_influx_points_dropped_total',
      help: 'Points given up on, by reason (buffer_full, rejected, ...)',
      labelNames: ['reason'],
      read: () => byLabel('reason', Object.entries(s().dropped)),
    })
    scrapeCounter(r, {
      name: 'tidegate_outbox_accepted_points_total',
      help: 'Points accepted for InfluxDB (committed to the outbox when durable)',
      read: () => single(s().accepted ?? 0),
    })
    scrapeGauge(r, {
      name: 'tidegate_outbox_durable',
      help: '1 when accepted points survive a crash (LMDB outbox), 0 for the in-memory buffer',
      read: () => single(s().durable ? 1 : 0),
    })
    scrapeGauge(r, {
      name: 'tidegate_influx_auth_failed',
      help: '1 while InfluxDB refuses the credentials (delivery paused, points kept)',
      read: () => single(s().authFailed ? 1 : 0),
    })
    scrapeGauge(r, {
      name: 'tidegate_influx_reachable',
      help: '1 when the last InfluxDB request got an HTTP answer, 0 when it failed on the network',
      read: () => single(s().reachable ? 1 : 0),
    })
    scrapeGauge(r, {
      name: 'tidegate_outbox_pending_points',
      help: 'Points accepted and not yet confirmed by InfluxDB (outbox depth)',
      read: () => single(s().pendingPoints),
    })
    scrapeGauge(r, {
      name: 'tidegate_outbox_pending_bytes',
      help: 'Bytes of points waiting for InfluxDB (outbox depth)',
      read: () => single(s().pendingBytes),
    })
    scrapeGauge(r, {
      name: 'tidegate_outbox_oldest_age_seconds',
      help: 'Age of the oldest point waiting for InfluxDB',
      read: () => single(s().oldestPendingAgeMs / 1000),
    })
  }

  /** The Prometheus text exposition: the registry, then samples from generic MetricsSource views. */
  async render(): Promise<{ contentType: string; body: string }> {
    // One stats() call per scrape, shared by every sink family.
    this.sinkStats = this.ctx.sink.stats()
    try {
      const body = await this.registry.metrics()
      const generic: Sample[] = hygieneSamples(this.ctx.hygiene)
      for (const feature of this.ctx.features()) {
        if (!feature.metricSamples) continue
        try {
          generic.push(...feature.metricSamples())
        } catch (err) {
          this.reportOnce(`source:${feature.name}`, { feature: feature.name, err: (err as Error).message })
        }
      }
      const taken = new Set(this.registry.getMetricsAsArray().map((m) => m.name))
      const extra = renderSamples(generic, taken)
      for (const name of extra.skipped) this.reportOnce(`sample:${name}`, { metric: name })
      return { contentType: this.registry.contentType, body: extra.text ? `${body}\n${extra.text}` : body }
    } finally {
      this.sinkStats = null
    }
  }

  private reportOnce(key: string, obj: object): void {
    if (this.reportedSkips.has(key)) return
    this.reportedSkips.add(key)
    this.ctx.logger.warn(obj, 'metrics: a feature exported an unusable metric; skipped')
  }
}
