import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks'
import type { SeriesReading } from './scrape-metrics.js'

const QUANTILES = [0.5, 0.9, 0.99] as const

/**
 * Event-loop delay since the previous scrape, from perf_hooks (a libuv timer, no work on the hot path).
 * The histogram is reset on each read so every scrape reports its own interval.
 */
export class EventLoopDelay {
  private histogram: IntervalHistogram | null = null

  constructor(private readonly resolutionMs: number) {}

  start(): void {
    this.histogram = monitorEventLoopDelay({ resolution: this.resolutionMs })
    this.histogram.enable()
  }

  stop(): void {
    this.histogram?.disable()
    this.histogram = null
  }

  /** Quantiles and max in seconds; empty before start() or when no interval has been sampled yet. */
  read(): SeriesReading[] {
    const h = this.histogram
    if (!h || h.count === 0) return []
    // The histogram records whole timer intervals; the delay is what exceeds the sampling interval.
    const delay = (ns: number) => Math.max(0, ns / 1e9 - this.resolutionMs / 1000)
    const out: SeriesReading[] = QUANTILES.map((q) => [{ quantile: String(q) }, delay(h.percentile(q * 100))])
    out.push([{ quantile: '1' }, delay(h.max)])
    h.reset()
    return out
  }
}
