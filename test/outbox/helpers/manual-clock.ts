import type { Clock } from '../../../src/sinks/outbox/clock.js'

/** A clock that moves only when the test says so; timers fire in due order. */
export class ManualClock implements Clock {
  private t = 1_700_000_000_000
  private nextId = 1
  private readonly timers = new Map<number, { at: number; fn: () => void }>()
  /** How many timers have fired so far. */
  fired = 0

  now(): number {
    return this.t
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++
    this.timers.set(id, { at: this.t + Math.max(0, ms), fn })
    return id
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number)
  }

  /** Moves time forward, firing due timers in order and letting promise chains they start settle. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms
    for (;;) {
      await settle()
      let next: [number, { at: number; fn: () => void }] | undefined
      for (const entry of this.timers)
        if (entry[1].at <= end && (!next || entry[1].at < next[1].at)) next = entry
      if (!next) break
      this.timers.delete(next[0])
      this.t = next[1].at
      this.fired++
      next[1].fn()
    }
    this.t = end
    await settle()
  }
}

/** Lets pending promise callbacks (and setImmediate work) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r))
}
