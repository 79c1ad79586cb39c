import type { Event } from '../core/event.js'
import { type Accumulator, type AggregateCall, createAccumulator } from './aggregates.js'

/**
 * Keyed window operators. Each takes per-event aggregate inputs and emits closed windows.
 * Time is the event time (`time: event`) or the arrival time (`time: processing`), both passed in;
 * nothing here reads a clock, so the same code runs live, in replay and on virtual time in tests.
 *
 * Event time: each key has its own watermark = newest event time - lateness. A window closes when the
 * watermark passes its end; an event whose windows have all closed is late. While a key is silent its
 * watermark keeps moving with the processing clock (tick), so a silent device's last window still closes.
 */

export interface WindowResult {
  key: string
  start: number
  end: number
  /** Events in the window. */
  count: number
  /** One result per aggregate, in the rule's order. */
  values: unknown[]
  /** The newest event of the window: its device and tags describe the result. */
  last: Event
}

export interface WindowOutput {
  emit(result: WindowResult): void
  late(event: Event, key: string, watermark: number): void
}

export interface WindowPlan {
  kind: 'tumbling' | 'hopping' | 'sliding' | 'session' | 'count'
  eventTime: boolean
  sizeMs: number
  everyMs: number
  gapMs: number
  latenessMs: number
  /** count windows: events per window. */
  count: number
  /** count windows: close a partial window after this silence (0: never). */
  timeoutMs: number
  aggregates: readonly AggregateCall[]
}

export interface Windower {
  /** `time` is the event's event time; `now` the processing time. */
  add(key: string, time: number, now: number, inputs: readonly unknown[], event: Event): void
  tick(now: number): void
  /** Open windows, for tests and stats. */
  openWindows(): number
}

interface Pane {
  start: number
  end: number
  count: number
  accs: Accumulator[]
  last: Event
}

interface KeyClock {
  maxTime: number
  lastArrival: number
  watermark: number
}

function newPane(plan: WindowPlan, start: number, end: number, event: Event): Pane {
  return { start, end, count: 0, accs: plan.aggregates.map(createAccumulator), last: event }
}

function addToPane(pane: Pane, time: number, inputs: readonly unknown[], event: Event): void {
  pane.count++
  pane.last = event
  for (let i = 0; i < pane.accs.length; i++) (pane.accs[i] as Accumulator).add(inputs[i], time)
}

function result(key: string, pane: Pane): WindowResult {
  return {
    key,
    start: pane.start,
    end: pane.end,
    count: pane.count,
    values: pane.accs.map((a) => a.result()),
    last: pane.last,
  }
}

/** Watermark bookkeeping shared by the time-based windows. */
abstract class TimedWindower<S extends KeyClock> implements Windower {
  protected readonly keys = new Map<string, S>()

  constructor(
    protected readonly plan: WindowPlan,
    protected readonly out: WindowOutput,
  ) {}

  protected abstract newState(): S
  protected abstract place(
    key: string,
    state: S,
    time: number,
    inputs: readonly unknown[],
    event: Event,
  ): void
  protected abstract closeUpTo(key: string, state: S, watermark: number): void
  abstract openWindows(): number

  add(key: string, time: number, now: number, inputs: readonly unknown[], event: Event): void {
    const t = this.plan.eventTime ? time : now
    let state = this.keys.get(key)
    if (!state) {
      state = this.newState()
      this.keys.set(key, state)
    }
    state.lastArrival = now
    this.place(key, state, t, inputs, event)
    if (t > state.maxTime) state.maxTime = t
    this.advance(key, state, this.plan.eventTime ? state.maxTime - this.plan.latenessMs : now)
  }

  tick(now: number): void {
    for (const [key, state] of this.keys) {
      // Event time: assume the device's clock runs on while it is silent.
      const wm = this.plan.eventTime
        ? state.maxTime + Math.max(0, now - state.lastArrival) - this.plan.latenessMs
        : now
      this.advance(key, state, wm)
    }
  }

  private advance(key: string, state: S, watermark: number): void {
    if (watermark <= state.watermark) return
    state.watermark = watermark
    this.closeUpTo(key, state, watermark)
  }
}

interface PaneState extends KeyClock {
  panes: Pane[]
}

/** Tumbling (every = size) and hopping (a window starts every `every`, lasts `size`). */
export class AlignedWindower extends TimedWindower<PaneState> {
  protected newState(): PaneState {
    return {
      maxTime: Number.NEGATIVE_INFINITY,
      lastArrival: 0,
      watermark: Number.NEGATIVE_INFINITY,
      panes: [],
    }
  }

  protected place(key: string, state: PaneState, t: number, inputs: readonly unknown[], event: Event): void {
    const { sizeMs, everyMs } = this.plan
    let placed = false
    for (let start = Math.floor(t / everyMs) * everyMs; start > t - sizeMs; start -= everyMs) {
      const end = start + sizeMs
      if (end <= state.watermark) continue // that window already closed
      let pane: Pane | undefined
      for (const p of state.panes)
        if (p.start === start) {
          pane = p
          break
        }
      if (!pane) {
        pane = newPane(this.plan, start, end, event)
        state.panes.push(pane)
      }
      addToPane(pane, t, inputs, event)
      placed = true
    }
    if (!placed) this.out.late(event, key, state.watermark)
  }

  protected closeUpTo(key: string, state: PaneState, watermark: number): void {
    let due = false
    for (const p of state.panes) if (p.end <= watermark) due = true
    if (!due) return
    const closing = state.panes.filter((p) => p.end <= watermark).sort((a, b) => a.end - b.end)
    state.panes = state.panes.filter((p) => p.end > watermark)
    for (const pane of closing) this.out.emit(result(key, pane))
  }

  openWindows(): number {
    let n = 0
    for (const s of this.keys.values()) n += s.panes.length
    return n
  }
}

interface SessionState extends KeyClock {
  session: (Pane & { lastTime: number }) | null
}

/** A session per key: events closer than `gap` join it; `gap` of silence ends it. */
export class SessionWindower extends TimedWindower<SessionState> {
  protected newState(): SessionState {
    return {
      maxTime: Number.NEGATIVE_INFINITY,
      lastArrival: 0,
      watermark: Number.NEGATIVE_INFINITY,
      session: null,
    }
  }

  protected place(
    key: string,
    state: SessionState,
    t: number,
    inputs: readonly unknown[],
    event: Event,
  ): void {
    const gap = this.plan.gapMs
    let s = state.session
    if (s && t > s.lastTime + gap) {
      this.close(key, state)
      s = null
    }
    if (!s) {
      if (t + gap <= state.watermark) {
        this.out.late(event, key, state.watermark)
        return
      }
      s = { ...newPane(this.plan, t, t + gap, event), lastTime: t }
      state.session = s
    }
    if (t < s.start) s.start = t
    if (t > s.lastTime) s.lastTime = t
    s.end = s.lastTime + gap
    addToPane(s, t, inputs, event)
  }

  protected closeUpTo(key: string, state: SessionState, watermark: number): void {
    if (state.session && state.session.end <= watermark) this.close(key, state)
  }

  private close(key: string, state: SessionState): void {
    const s = state.session
    state.session = null
    if (s) this.out.emit(result(key, s))
  }

  openWindows(): number {
    let n = 0
    for (const s of this.keys.values()) if (s.session) n++
    return n
  }
}

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

interface CountState {
  pane: Pane | null
  lastArrival: number
}

/** Every `count` events of a key form a window; `timeout` of silence closes a partial one. */
export class CountWindower implements Windower {
  private readonly keys = new Map<string, CountState>()

  constructor(
    private readonly plan: WindowPlan,
    private readonly out: WindowOutput,
  ) {}

  add(key: string, time: number, now: number, inputs: readonly unknown[], event: Event): void {
    const t = this.plan.eventTime ? time : now
    let state = this.keys.get(key)
    if (!state) {
      state = { pane: null, lastArrival: now }
      this.keys.set(key, state)
    }
    state.lastArrival = now
    state.pane ??= newPane(this.plan, t, t, event)
    const pane = state.pane
    if (t < pane.start) pane.start = t
    if (t > pane.end) pane.end = t
    addToPane(pane, t, inputs, event)
    if (pane.count >= this.plan.count) {
      state.pane = null
      this.out.emit(result(key, pane))
    }
  }

  tick(now: number): void {
    if (this.plan.timeoutMs <= 0) return
    for (const [key, state] of this.keys) {
      if (state.pane && now - state.lastArrival >= this.plan.timeoutMs) {
        const pane = state.pane
        state.pane = null
        this.out.emit(result(key, pane))
      }
    }
  }

  openWindows(): number {
    let n = 0
    for (const s of this.keys.values()) if (s.pane) n++
    return n
  }
}

export function createWindower(plan: WindowPlan, out: WindowOutput): Windower {
  switch (plan.kind) {
    case 'tumbling':
    case 'hopping':
      return new AlignedWindower(plan, out)
    case 'session':
      return new SessionWindower(plan, out)
    case 'sliding':
      return new SlidingWindower(plan, out)
    case 'count':
      return new CountWindower(plan, out)
  }
}
