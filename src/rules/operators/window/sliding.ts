import { type Accumulator, createAccumulator } from '../../aggregates.js'
import {
  type KeyClock,
  TimedWindower,
  type WindowOutput,
  type WindowPlan,
  type WindowResult,
} from './base.js'

interface SlidingState extends KeyClock {
  /** Event times in time order, from `head` on (the front is dropped in bulk). */
  times: number[]
  /**
   * The aggregate inputs of entry j at [j*k, j*k + k) (k aggregates): one flat array per key, so the
   * look-back does not keep an array per event alive (fewer old-generation objects for the GC).
   */
  inputs: unknown[]
  head: number
}

/** Look-back per event: each event emits the aggregates of the key's events in (t - size, t]. */
export class SlidingWindower extends TimedWindower<SlidingState> {
  /** One set of accumulators, reset for every event: a sliding step allocates nothing else. */
  private readonly accs: Accumulator[]
  /** One result, refilled for every event (emit copies what it keeps: see WindowOutput). */
  private readonly result: WindowResult

  constructor(plan: WindowPlan, out: WindowOutput) {
    super(plan, out)
    this.accs = plan.aggregates.map(createAccumulator)
    this.result = { key: '', start: 0, end: 0, count: 0, values: new Array(this.accs.length), last: null }
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
    event: unknown,
  ): void {
    if (t < state.watermark) {
      this.out.late(event, key, state.watermark)
      return
    }
    const { times } = state
    // Keep time order; out-of-order (within lateness) events are rare, so a backward scan.
    let i = times.length
    while (i > state.head && (times[i - 1] as number) > t) i--
    const k = this.accs.length
    if (i === times.length) {
      times.push(t)
      for (let a = 0; a < k; a++) state.inputs.push(inputs[a])
    } else {
      times.splice(i, 0, t)
      state.inputs.splice(i * k, 0, ...inputs)
    }
    const from = t - this.plan.sizeMs
    const accs = this.accs
    for (const a of accs) a.reset()
    let count = 0
    for (let j = state.head; j < times.length; j++) {
      const et = times[j] as number
      if (et <= from || et > t) continue
      count++
      const row = j * k
      for (let a = 0; a < k; a++) (accs[a] as Accumulator).add(state.inputs[row + a], et)
    }
    const r = this.result
    for (let a = 0; a < accs.length; a++) r.values[a] = (accs[a] as Accumulator).result()
    r.key = key
    r.start = from
    r.end = t
    r.count = count
    r.last = event
    this.out.emit(r)
    r.last = null // do not keep the event alive until the next one
  }

  protected closeUpTo(_key: string, state: SlidingState, watermark: number): void {
    // Entries older than the oldest look-back a still-accepted event could need.
    const keepFrom = watermark - this.plan.sizeMs
    const { times } = state
    while (state.head < times.length && (times[state.head] as number) <= keepFrom) state.head++
    // Compact once the dropped front outgrows what is kept (amortised O(1) per event).
    if (state.head > 32 && state.head * 2 > times.length) {
      times.splice(0, state.head)
      state.inputs.splice(0, state.head * this.accs.length)
      state.head = 0
    }
  }

  /** The look-back samples still needed (from `head` on): their times and aggregate inputs. */
  protected saveState(state: SlidingState): unknown {
    const k = this.accs.length
    return { times: state.times.slice(state.head), inputs: state.inputs.slice(state.head * k) }
  }

  protected loadState(saved: unknown, clock: KeyClock): SlidingState {
    const s = saved as { times: number[]; inputs: unknown[] }
    return { ...clock, times: [...s.times], inputs: [...s.inputs], head: 0 }
  }

  openWindows(): number {
    return this.states.size
  }
}
