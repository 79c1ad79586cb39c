import {
  addToPane,
  type KeyClock,
  loadPane,
  newPane,
  type Pane,
  paneResult,
  type SavedPane,
  savePane,
  TimedWindower,
} from './base.js'

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
    event: unknown,
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
    if (s) this.out.emit(paneResult(key, s))
  }

  protected saveState(state: SessionState): unknown {
    const s = state.session
    return s ? { ...savePane(s), lastTime: s.lastTime } : null
  }

  protected loadState(saved: unknown, clock: KeyClock): SessionState {
    const s = saved as (SavedPane & { lastTime: number }) | null
    return { ...clock, session: s ? { ...loadPane(this.plan, s), lastTime: s.lastTime } : null }
  }

  openWindows(): number {
    let n = 0
    for (const s of this.states.values()) if (s.session) n++
    return n
  }
}
