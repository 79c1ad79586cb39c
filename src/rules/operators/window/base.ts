import { type Accumulator, type AggregateCall, createAccumulator } from '../../aggregates.js'

/**
 * Keyed window operators: the shared types and the watermark bookkeeping (one file per kind:
 * aligned.ts, session.ts, sliding.ts, count.ts; factory.ts picks).
 * Each takes per-event aggregate inputs and emits closed windows. Time is the event time (`time: event`) or the arrival time (`time: processing`), both passed in;
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
  last: unknown
}

export interface WindowOutput {
  /** The result (and its `values`) is valid during the call only: a windower may reuse it for the next. */
  emit(result: WindowResult): void
  late(event: unknown, key: string, watermark: number): void
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
  add(key: string, time: number, now: number, inputs: readonly unknown[], event: unknown): void
  tick(now: number): void
  /** Open windows, for tests and stats. */
  openWindows(): number
  /** Keys with state. */
  keys(): IterableIterator<string>
  /** A key's open windows and clock as a JSON value (a cluster snapshot); undefined when it has none. */
  save(key: string): unknown
  /** Continues a key from what `save` gave (on another node, another windower of the same plan). */
  restore(key: string, state: unknown): void
  /** Drops a key's state without emitting anything (its cluster partition moved to another node). */
  forget(key: string): void
}

export interface Pane {
  start: number
  end: number
  count: number
  accs: Accumulator[]
  last: unknown
}

export interface KeyClock {
  maxTime: number
  lastArrival: number
  watermark: number
}

export function newPane(plan: WindowPlan, start: number, end: number, event: unknown): Pane {
  return { start, end, count: 0, accs: plan.aggregates.map(createAccumulator), last: event }
}

export function addToPane(pane: Pane, time: number, inputs: readonly unknown[], event: unknown): void {
  pane.count++
  pane.last = event
  for (let i = 0; i < pane.accs.length; i++) (pane.accs[i] as Accumulator).add(inputs[i], time)
}

export function paneResult(key: string, pane: Pane): WindowResult {
  return {
    key,
    start: pane.start,
    end: pane.end,
    count: pane.count,
    values: pane.accs.map((a) => a.result()),
    last: pane.last,
  }
}

/** A pane as JSON: its accumulators in their saved form, `last` as is (events are JSON). */
export interface SavedPane {
  start: number
  end: number
  count: number
  accs: unknown[]
  last: unknown
}

export function savePane(pane: Pane): SavedPane {
  return {
    start: pane.start,
    end: pane.end,
    count: pane.count,
    accs: pane.accs.map((a) => a.save()),
    last: pane.last,
  }
}

export function loadPane(plan: WindowPlan, saved: SavedPane): Pane {
  const pane = newPane(plan, saved.start, saved.end, saved.last)
  pane.count = saved.count
  for (let i = 0; i < pane.accs.length; i++) (pane.accs[i] as Accumulator).load(saved.accs[i])
  return pane
}

/** JSON has no -Infinity (a clock before its first value): null stands for it. */
export const finiteOrNull = (n: number): number | null => (Number.isFinite(n) ? n : null)
export const orMinusInfinity = (n: number | null): number => n ?? Number.NEGATIVE_INFINITY

export interface SavedClock {
  maxTime: number | null
  lastArrival: number
  watermark: number | null
}

export function saveClock(c: KeyClock): SavedClock {
  return {
    maxTime: finiteOrNull(c.maxTime),
    lastArrival: c.lastArrival,
    watermark: finiteOrNull(c.watermark),
  }
}

export function loadClock(c: SavedClock): KeyClock {
  return {
    maxTime: orMinusInfinity(c.maxTime),
    lastArrival: c.lastArrival,
    watermark: orMinusInfinity(c.watermark),
  }
}

/** Watermark bookkeeping shared by the time-based windows. */
export abstract class TimedWindower<S extends KeyClock> implements Windower {
  protected readonly states = new Map<string, S>()

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
    event: unknown,
  ): void
  protected abstract closeUpTo(key: string, state: S, watermark: number): void
  abstract openWindows(): number
  /** The kind's part of a key's state as JSON (the clock is saved here). */
  protected abstract saveState(state: S): unknown
  protected abstract loadState(saved: unknown, clock: KeyClock): S

  keys(): IterableIterator<string> {
    return this.states.keys()
  }

  save(key: string): unknown {
    const state = this.states.get(key)
    if (!state) return undefined
    return { clock: saveClock(state), state: this.saveState(state) }
  }

  restore(key: string, saved: unknown): void {
    const s = saved as { clock: SavedClock; state: unknown }
    this.states.set(key, this.loadState(s.state, loadClock(s.clock)))
  }

  forget(key: string): void {
    this.states.delete(key)
  }

  add(key: string, time: number, now: number, inputs: readonly unknown[], event: unknown): void {
    const t = this.plan.eventTime ? time : now
    let state = this.states.get(key)
    if (!state) {
      state = this.newState()
      this.states.set(key, state)
    }
    state.lastArrival = now
    this.place(key, state, t, inputs, event)
    if (t > state.maxTime) state.maxTime = t
    this.advance(key, state, this.plan.eventTime ? state.maxTime - this.plan.latenessMs : now)
  }

  tick(now: number): void {
    for (const [key, state] of this.states) {
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
