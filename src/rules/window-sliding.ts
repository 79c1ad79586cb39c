import type { Event } from '../core/event.js'
import { type Accumulator, createAccumulator } from './aggregates.js'
import { type KeyClock, TimedWindower, type WindowOutput, type WindowPlan } from './window-base.js'

interface SlidingState extends KeyClock {
  /** Event times and aggregate inputs, in time order, from `head` on (the front is dropped in bulk). */
  times: number[]
  inputs: (readonly unknown[])[]
  head: number
}

/** Look-back per event: each event emits the aggregates of the key's events in (t - size, t]. */
export class SlidingWindower extends TimedWindower<SlidingState> {
  /** One set of accumulators, reset for every event: a sliding step allocates nothing else. */
  private readonly accs: Accumulator[]

  constructor(plan: WindowPlan, out: WindowOutput) {
    super(plan, out)
    this.accs = plan.aggregates.map(createAccumulator)
  }

  protected newState(): SlidingState {
    return {
      maxTime: Number.NEGATIVE_INFINITY,
      lastArrival: 0,
      watermark: Number.NEGATIVE_INFINITY,
      times: [],
      inputs: [],
      head: 0,
    }
  }

  protected place(
    key: string,
    state: SlidingState,
    t: number,
    inputs: readonly unknown[],
    event: Event,
  ): void {
    if (t < state.watermark) {
      this.out.late(event, key, state.watermark)
      return
    }
    const { times } = state
    // Keep time order; out-of-order (within lateness) events are rare, so a backward scan.
    let i = times.length
    while (i > state.head && (times[i - 1] as number) > t) i--
    if (i === times.length) {
      times.push(t)
      state.inputs.push(inputs)
    } else {
      times.splice(i, 0, t)
      state.inputs.splice(i, 0, inputs)
    }
    const from = t - this.plan.sizeMs
    const accs = this.accs
    for (const a of accs) a.reset()
    let count = 0
    for (let j = state.head; j < times.length; j++) {
      const et = times[j] as number
      if (et <= from || et > t) continue
      count++
      const row = state.inputs[j] as readonly unknown[]
      for (let a = 0; a < accs.length; a++) (accs[a] as Accumulator).add(row[a], et)
    }
    const values: unknown[] = []
    for (let a = 0; a < accs.length; a++) values.push((accs[a] as Accumulator).result())
    this.out.emit({ key, start: from, end: t, count, values, last: event })
  }

  protected closeUpTo(_key: string, state: SlidingState, watermark: number): void {
    // Entries older than the oldest look-back a still-accepted event could need.
    const keepFrom = watermark - this.plan.sizeMs
    const { times } = state
    while (state.head < times.length && (times[state.head] as number) <= keepFrom) state.head++
    // Compact once the dropped front outgrows what is kept (amortised O(1) per event).
    if (state.head > 32 && state.head * 2 > times.length) {
      times.splice(0, state.head)
      state.inputs.splice(0, state.head)
      state.head = 0
    }
  }

  openWindows(): number {
    return this.keys.size
  }
}
