/**
 * How features show their numbers to /metrics and /readyz without the observability code knowing them:
 * a feature's `metricSamples()` and `readiness()` (src/extension.ts). They are read only when Prometheus
 * scrapes or an operator asks /readyz, so the hot path pays nothing.
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

/** A view that exports samples as they are. */
export interface MetricsSource {
  metricSamples(): Sample[]
}

/** A view that can say whether it is ready. */
export interface ReadinessSource {
  readiness(): { ready: boolean; detail?: Record<string, unknown> }
}
