import type { Clock } from '../../src/core/clock.js'

interface Timer {
  at: number
  fn: () => void
}

/** Virtual time for trackers, dispatchers and the outbox: nothing happens until the test advances it. */
export class ManualClock implements Clock {
  private t: number
  private seq = 0
  private readonly timers = new Map<number, Timer>()
  /** How many timers have fired so far. */
  fired = 0

  constructor(start = 1_700_000_000_000) {
    this.t = start
  }

  now(): number {
    return this.t
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq
    this.timers.set(id, { at: this.t + Math.max(0, ms), fn })
    return id
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number)
  }

  get pendingTimers(): number {
    return this.timers.size
  }

  /** Moves time forward, firing due timers in time order (timers they set fire too when due). */
  advance(ms: number): void {
    const until = this.t + ms
    while (this.fireNext(until)) {}
    this.t = until
  }

  /** advance(), letting the promise chains each timer starts settle before the next one fires. */
  async advanceSettled(ms: number): Promise<void> {
    const until = this.t + ms
    do await settle()
    while (this.fireNext(until))
    this.t = until
    await settle()
  }

  private fireNext(until: number): boolean {
    let next: [number, Timer] | undefined
    for (const entry of this.timers)
      if (entry[1].at <= until && (!next || entry[1].at < next[1].at)) next = entry
    if (!next) return false
    this.timers.delete(next[0])
    this.t = next[1].at
    this.fired++
    next[1].fn()
    return true
  }
}

/** Lets pending promise callbacks (and setImmediate work) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r))
}
