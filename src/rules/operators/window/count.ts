import {
  addToPane,
  newPane,
  type Pane,
  paneResult,
  type Windower,
  type WindowOutput,
  type WindowPlan,
} from './base.js'

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

  add(key: string, time: number, now: number, inputs: readonly unknown[], event: unknown): void {
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
      this.out.emit(paneResult(key, pane))
    }
  }

  tick(now: number): void {
    if (this.plan.timeoutMs <= 0) return
    for (const [key, state] of this.keys) {
      if (state.pane && now - state.lastArrival >= this.plan.timeoutMs) {
        const pane = state.pane
        state.pane = null
        this.out.emit(paneResult(key, pane))
      }
    }
  }

  openWindows(): number {
    let n = 0
    for (const s of this.keys.values()) if (s.pane) n++
    return n
  }
}
