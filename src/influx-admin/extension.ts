import type { GatewayConfig } from '../config/schema.js'
import type { Extension, GatewayContext } from '../extension.js'
import type { MetricsSource, ReadinessSource, Sample } from '../observability/metrics-source.js'
import { ServiceKey } from '../services.js'
import { shapeConfigChecker } from './config-checker.js'
import { ShapeKeeper, type ShapeKeeperOptions, type ShapeStatus } from './shape-keeper.js'

/** Most measurements exported as metric labels (largest first): labels stay a bounded set. */
const MAX_MEASUREMENT_LABELS = 100

/** The service other features read under `influxAdmin` (readiness, metrics, the status page, reload). */
export interface InfluxAdminView extends MetricsSource, ReadinessSource {
  status(): ShapeStatus
  /** SIGHUP: apply the reloaded config's retention/downsample/maxSeries. */
  reloadConfig(config: Readonly<GatewayConfig>): Promise<void>
}

export const INFLUX_ADMIN = new ServiceKey<InfluxAdminView>('influxAdmin')

export function metricSamplesOf(s: ShapeStatus): Sample[] {
  const gauge = (name: string, help: string, value: number, labels?: Record<string, string>): Sample => ({
    name,
    help,
    type: 'gauge',
    value,
    ...(labels ? { labels } : {}),
  })
  const out: Sample[] = [
    gauge(
      'tidegate_influx_shape_applied',
      '1 when retention/downsampling match the config (v1), else 0',
      s.state === 'applied' ? 1 : 0,
    ),
    {
      name: 'tidegate_influx_shape_failures_total',
      help: 'failed attempts to apply retention/downsampling',
      type: 'counter',
      value: s.failures,
    },
  ]
  if (s.series.at === null) return out
  out.push(gauge('tidegate_influx_series', 'series in the database (all measurements)', s.series.total))
  const top = Object.entries(s.series.byMeasurement)
    .sort((a, b) => b[1] - a[1])
    .slice(0, MAX_MEASUREMENT_LABELS)
  for (const [measurement, n] of top)
    out.push(gauge('tidegate_influx_measurement_series', 'series per measurement', n, { measurement }))
  if (s.series.maxSeries !== null) {
    out.push(gauge('tidegate_influx_max_series', 'influx.maxSeries', s.series.maxSeries))
    out.push(
      gauge(
        'tidegate_influx_series_over_limit',
        '1 when series exceed influx.maxSeries',
        s.series.overLimit ? 1 : 0,
      ),
    )
  }
  if (s.series.diskBytes !== null)
    out.push(
      gauge('tidegate_influx_disk_bytes', 'bytes on disk of the database (SHOW STATS)', s.series.diskBytes),
    )
  return out
}

/**
 * Retention, downsampling and series cardinality of the InfluxDB database (docs/influx.md). Never a
 * reason to be unready: like an InfluxDB outage, a failure here is reported while ingest goes on.
 */
export function influxAdminExtension(ctx: GatewayContext, options: ShapeKeeperOptions = {}): Extension {
  const keeper = new ShapeKeeper(ctx.config.influx, ctx.logger, options)
  const view: InfluxAdminView = {
    status: () => keeper.status(),
    reloadConfig: (config) => keeper.reload(config.influx),
    metricSamples: () => metricSamplesOf(keeper.status()),
    readiness: () => {
      const s = keeper.status()
      return {
        ready: true,
        detail: {
          state: s.state,
          lastError: s.lastError,
          series: s.series.total,
          maxSeries: s.series.maxSeries,
          ...(s.series.overLimit
            ? { warning: `series ${s.series.total} above influx.maxSeries ${s.series.maxSeries}` }
            : {}),
        },
      }
    },
  }
  ctx.services.set(INFLUX_ADMIN, view)
  return {
    name: 'influx-admin',
    readinessKey: 'influxAdmin',
    metricSamples: () => view.metricSamples(),
    readiness: () => view.readiness(),
    reloadConfig: (config) => view.reloadConfig(config),
    async start() {
      keeper.start()
    },
    async stop() {
      keeper.stop()
    },
  }
}

/** `tidegate check`: retention, downsampling and maxSeries. */
influxAdminExtension.check = shapeConfigChecker
