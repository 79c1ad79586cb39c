import { Ring } from './ring.js'

/** One second of traffic: messages in (accepted events and dead letters), points InfluxDB confirmed. */
export interface RateSample {
  t: number
  in: number
  out: number
}

/** 15 minutes of one-second samples: the overview chart. */
export const RATE_HISTORY_SECONDS = 900

/**
 * Per-second rates from two running totals, sampled once a second by the caller (the status page's
 * ticker). The first sample only sets the baseline.
 */
export class RateHistory {
  readonly samples = new Ring<RateSample>(RATE_HISTORY_SECONDS)
  private last: { t: number; in: number; out: number } | null = null

  sample(t: number, totalIn: number, totalOut: number): RateSample | null {
    const prev = this.last
    this.last = { t, in: totalIn, out: totalOut }
    if (!prev || t <= prev.t) return null
    const seconds = (t - prev.t) / 1000
    const s: RateSample = {
      t,
      in: round(Math.max(0, totalIn - prev.in) / seconds),
      out: round(Math.max(0, totalOut - prev.out) / seconds),
    }
    this.samples.push(s)
    return s
  }
}

const round = (n: number) => Math.round(n * 10) / 10
