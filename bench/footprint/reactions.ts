/**
 * Joins the publisher's hot send times with the subscriber's arrival times (both CLOCK_MONOTONIC µs,
 * from different processes) into reaction times: device PUBLISH → reaction received.
 */
export class Reactions {
  private readonly sent = new Map<number, number>()
  private readonly early = new Map<number, number>()
  readonly latenciesMs: number[] = []
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
      }
    }
  }

  get received(): number {
    return this.latenciesMs.length + this.early.size
  }

  percentiles(): { p50: number; p99: number; max: number } | undefined {
    const s = Float64Array.from(this.latenciesMs).sort()
    if (!s.length) return undefined
    const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0
    return { p50: at(0.5), p99: at(0.99), max: s[s.length - 1] ?? 0 }
  }
}

const keyOf = (device: number, seq: number) => device * 1e9 + seq
