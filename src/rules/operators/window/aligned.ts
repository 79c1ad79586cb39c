import { type Accumulator, createAccumulator } from '../../aggregates.js'
import {
  addToPane,
  finiteOrNull,
  type KeyClock,
  loadPane,
  newPane,
  orMinusInfinity,
  type Pane,
  type SavedPane,
  savePane,
  TimedWindower,
} from './base.js'

interface SliceState extends KeyClock {
  /** Slices of length `every`, sorted by start; only those a still-open window needs. */
  slices: Pane[]
  /** Start of the earliest window not yet emitted. */
  next: number
}

/**
 * Tumbling (every = size) and hopping windows (a window of `size` starts every `every`; size is a
 * multiple of every). Each event goes into exactly one slice of length `every`; a closing window
 * merges its size/every slices. That keeps the per-event cost the same however much windows overlap.
 */
export class AlignedWindower extends TimedWindower<SliceState> {
  protected newState(): SliceState {
    return {
      maxTime: Number.NEGATIVE_INFINITY,
      lastArrival: 0,
      watermark: Number.NEGATIVE_INFINITY,
      slices: [],
      next: Number.NEGATIVE_INFINITY,
    }
  }

  protected place(
    key: string,
    state: SliceState,
    t: number,
    inputs: readonly unknown[],
    event: unknown,
  ): void {
    const every = this.plan.everyMs
    const start = Math.floor(t / every) * every
    // Every window holding this slice was emitted already: the event is late.
    if (start < state.next || start + this.plan.sizeMs <= state.watermark) {
      this.out.late(event, key, state.watermark)
      return
    }
    const slices = state.slices
    let i = slices.length
    while (i > 0 && (slices[i - 1] as Pane).start > start) i--
    let slice = slices[i - 1]
    if (slice === undefined || slice.start !== start) {
      slice = newPane(this.plan, start, start + every, event)
      slices.splice(i, 0, slice)
    }
    addToPane(slice, t, inputs, event)
  }

  protected closeUpTo(key: string, state: SliceState, watermark: number): void {
    const { sizeMs, everyMs } = this.plan
    const slices = state.slices
    while (slices.length > 0) {
      const first = slices[0] as Pane
      // Skip the empty windows before the first one that holds data.
      const earliest = first.start - sizeMs + everyMs
      if (state.next < earliest) state.next = earliest
      const start = state.next
      const end = start + sizeMs
      if (end > watermark) return
      this.emitWindow(key, slices, start, end)
      state.next = start + everyMs
      while (slices.length > 0 && (slices[0] as Pane).start < state.next) slices.shift()
    }
  }

  private emitWindow(key: string, slices: Pane[], start: number, end: number): void {
    let count = 0
    let last: unknown | null = null
    let merged: Accumulator[] | null = null
    for (const s of slices) {
      if (s.start >= end) break
      if (s.count === 0) continue
      count += s.count
      last = s.last
      if (this.plan.everyMs === this.plan.sizeMs) {
        merged = s.accs // tumbling: the slice is the window
        break
      }
      merged ??= this.plan.aggregates.map(createAccumulator)
      for (let a = 0; a < merged.length; a++) (merged[a] as Accumulator).merge(s.accs[a] as Accumulator)
    }
    if (merged === null || last === null) return
    const values: unknown[] = []
    for (const acc of merged) values.push(acc.result())
    this.out.emit({ key, start, end, count, values, last })
  }

  protected saveState(state: SliceState): unknown {
    return { slices: state.slices.map(savePane), next: finiteOrNull(state.next) }
  }

  protected loadState(saved: unknown, clock: KeyClock): SliceState {
    const s = saved as { slices: SavedPane[]; next: number | null }
    return { ...clock, slices: s.slices.map((p) => loadPane(this.plan, p)), next: orMinusInfinity(s.next) }
  }

  openWindows(): number {
    let n = 0
    for (const s of this.states.values())
      if (s.slices.length > 0) n += Math.ceil(this.plan.sizeMs / this.plan.everyMs)
    return n
  }
}
