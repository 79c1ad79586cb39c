import {
  addToPane,
  loadPane,
  newPane,
  type Pane,
  paneResult,
  type SavedPane,
  savePane,
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
  private readonly byKey = new Map<string, CountState>()

  constructor(
    private readonly plan: WindowPlan,
    private readonly out: WindowOutput,
  ) {}

  add(key: string, time: number, now: number, inputs: readonly unknown[], event: unknown): void {
    const t = this.plan.eventTime ? time : now
    let state = this.byKey.get(key)
    if (!state) {
      state = { pane: null, lastArrival: now }
      this.byKey.set(key, state)
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
    for (const [key, state] of this.byKey) {
      if (state.pane && now - state.lastArrival >= this.plan.timeoutMs) {
        const pane = state.pane
        state.pane = null
        this.out.emit(paneResult(key, pane))
      }
    }
  }

  keys(): IterableIterator<string> {
    return this.byKey.keys()
  }

  save(key: string): unknown {
    const s = this.byKey.get(key)
    if (!s) return undefined
    return { pane: s.pane ? savePane(s.pane) : null, lastArrival: s.lastArrival }
  }

  restore(key: string, saved: unknown): void {
    const s = saved as { pane: SavedPane | null; lastArrival: number }
    this.byKey.set(key, { pane: s.pane ? loadPane(this.plan, s.pane) : null, lastArrival: s.lastArrival })
  }

  forget(key: string): void {
    this.byKey.delete(key)
  }

  openWindows(): number {
    let n = 0
    for (const s of this.byKey.values()) if (s.pane) n++
    return n
  }
}
