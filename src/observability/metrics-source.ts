/**
 * How features show their numbers to /metrics and /readyz without the observability code knowing them:
 * a feature puts a read-only view into `ctx.services` under its key (see docs/operations.md). Views
 * are read only when Prometheus scrapes or an operator asks /readyz, so the hot path pays nothing.
 */

/** One exported number. Labels must come from a bounded set (port names, rule ids, reasons), never device ids. */
export interface Sample {
  /** Full metric name, `tidegate_` prefix included, `_total` suffix for counters. */
  name: string
  help: string
  type: 'counter' | 'gauge'
  labels?: Record<string, string>
  value: number
}

/** Generic view: any service in `ctx.services` with this method is exported as is. */
export interface MetricsSource {
  metricSamples(): Sample[]
}

/** A feature that can say whether it is ready (e.g. rules loaded). Any service with this method joins /readyz. */
export interface ReadinessSource {
  readiness(): { ready: boolean; detail?: Record<string, unknown> }
}

export function isMetricsSource(v: unknown): v is MetricsSource {
  return typeof (v as MetricsSource | null)?.metricSamples === 'function'
}

export function isReadinessSource(v: unknown): v is ReadinessSource {
  return typeof (v as ReadinessSource | null)?.readiness === 'function'
}
