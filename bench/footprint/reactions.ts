/**
 * Joins the publisher's hot send times with the subscriber's arrival times (both CLOCK_MONOTONIC µs,
 * from different processes) into reaction times: device PUBLISH → reaction received.
 */
export class Reactions {
  private readonly sent = new Map<number, number>()
  private readonly early = new Map<number, number>()
  readonly latenciesMs: number[] = []
  /** Send time (µs) of each entry of latenciesMs: where in the run the slow ones were. */
  private readonly sentAtUs: number[] = []
  hotSent = 0

  /** Triples (device, seq, µs) from the publisher. */
  addSent(triples: number[]): void {
    for (let i = 0; i < triples.length; i += 3) {
      const key = keyOf(triples[i] as number, triples[i + 1] as number)
      const at = triples[i + 2] as number
      this.hotSent++
      const arrived = this.early.get(key)
      if (arrived === undefined) this.sent.set(key, at)
      else {
        this.early.delete(key)
        this.latenciesMs.push((arrived - at) / 1000)
        this.sentAtUs.push(at)
      }
    }
  }

  /** Triples (device, seq, µs) from the subscriber (IPC may deliver them before the send times). */
  addReceived(triples: number[]): void {
    for (let i = 0; i < triples.length; i += 3) {
      const key = keyOf(triples[i] as number, triples[i + 1] as number)
      const at = triples[i + 2] as number
      const sentAt = this.sent.get(key)
      if (sentAt === undefined) this.early.set(key, at)
      else {
        this.sent.delete(key)
        this.latenciesMs.push((at - sentAt) / 1000)
        this.sentAtUs.push(sentAt)
      }
    }
  }

  get received(): number {
    return this.latenciesMs.length + this.early.size
  }

  private firstSentUs(): number {
    let t0 = Number.POSITIVE_INFINITY
    for (const t of this.sentAtUs) if (t < t0) t0 = t
    return t0
  }

  /**
   * Seconds of the run (from the first send) in which a reaction took longer than `overMs`, with how
   * many did and the worst: tells one stall (start-up, a collection) from a steady backlog.
   */
  slowSeconds(overMs = 20): { second: number; slow: number; worstMs: number }[] {
    if (this.sentAtUs.length === 0) return []
    const t0 = this.firstSentUs()
    const bySecond = new Map<number, { slow: number; worstMs: number }>()
    for (let i = 0; i < this.latenciesMs.length; i++) {
      const ms = this.latenciesMs[i] as number
      if (ms <= overMs) continue
      const second = Math.floor(((this.sentAtUs[i] as number) - t0) / 1e6)
      const b = bySecond.get(second) ?? { slow: 0, worstMs: 0 }
      b.slow++
      b.worstMs = Math.max(b.worstMs, ms)
      bySecond.set(second, b)
    }
    return [...bySecond].map(([second, b]) => ({ second, ...b })).sort((a, b) => a.second - b.second)
  }

  /** Percentiles of the reactions to readings sent at least `afterMs` after the first one (0: all). */
  percentiles(afterMs = 0): { p50: number; p99: number; max: number } | undefined {
    let latencies = this.latenciesMs
    if (afterMs > 0 && this.sentAtUs.length > 0) {
      const from = this.firstSentUs() + afterMs * 1000
      latencies = latencies.filter((_, i) => (this.sentAtUs[i] as number) >= from)
    }
    const s = Float64Array.from(latencies).sort()
    if (!s.length) return undefined
    const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0
    return { p50: at(0.5), p99: at(0.99), max: s[s.length - 1] ?? 0 }
  }
}

const keyOf = (device: number, seq: number) => device * 1e9 + seq
