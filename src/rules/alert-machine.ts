/**
 * The alert lifecycle of one (rule, key), as an explicit state machine:
 *
 *   ok ──when──► pending ──held `for`──► firing ──clear held `clearFor`──► resolved ──► ok
 *        (for = 0 goes straight to firing)   │ ▲ repeat every `repeat`
 *   pending ──when no longer holds──► ok     └─┘
 *
 * `evaluate` feeds a fresh condition result; `tick` lets time alone complete `for`, `clearFor` and
 * `repeat` (processing-time rules). Transitions carry the time they became due, not the time they were
 * noticed, so replays and coarse ticks give the same history.
 */

export type AlertState = 'ok' | 'pending' | 'firing'
export type TransitionState = 'ok' | 'pending' | 'firing' | 'resolved'

export interface AlertTiming {
  forMs: number
  clearForMs: number
  /** 0: notify on state changes only. */
  repeatMs: number
}

export interface Transition {
  state: TransitionState
  previous: TransitionState
  /** When it happened (ms). */
  at: number
  /** When the alert was raised (the start of pending, or of firing when for = 0). */
  since: number
  /** 0 for a state change, n for the n-th re-notification while firing. */
  repeat: number
  /** Only on the transition an operator's acknowledgement makes (state stays firing, no repeats after). */
  acknowledged?: { by: string; at: number }
}

/** No transitions: shared, read-only (callers only iterate what a machine returns). */
const NONE: Transition[] = Object.freeze([]) as unknown as Transition[]

/** A firing or pending alert as another node left it (cluster takeover, docs/cluster.md). */
export interface AlertSeed {
  state: 'pending' | 'firing'
  /** When it was raised. */
  since: number
  /** When it entered its state (for firing also the last notification). */
  at: number
}

export class AlertMachine {
  state: AlertState = 'ok'
  /** The last transition published, so an `ok` after a `resolved` reads right. */
  private lastPublished: TransitionState = 'ok'
  private raisedAt = 0
  private stateSince = 0
  private raising = false
  private clearSince: number | null = null
  private lastNotified = 0
  private repeats = 0
  private acknowledgedBy: { by: string; at: number } | null = null

  constructor(private readonly timing: AlertTiming) {}

  /**
   * Continues an alert another node announced: the machine is in its state without announcing it again;
   * the next results resolve it, re-notify it (repeat) or complete `for` as if it had been here all along.
   */
  restore(seed: AlertSeed): void {
    this.state = seed.state
    this.lastPublished = seed.state
    this.raisedAt = seed.since
    this.stateSince = seed.at
    this.lastNotified = seed.at
    this.raising = true
  }

  /** What `restore` on another node continues from; null while ok. */
  seed(): AlertSeed | null {
    if (this.state === 'ok') return null
    return {
      state: this.state,
      since: this.raisedAt,
      at: this.state === 'firing' ? this.lastNotified : this.stateSince,
    }
  }

  /** A new condition result at `at`: `raise` is the when-condition, `clear` the clear-condition. */
  evaluate(raise: boolean, clear: boolean, at: number): Transition[] {
    this.raising = raise
    // The common case on the hot path (nothing raised, nothing happens) allocates nothing.
    if (this.state === 'ok' && !raise) return NONE
    const out: Transition[] = []
    switch (this.state) {
      case 'ok':
        if (raise) {
          this.raisedAt = at
          if (this.timing.forMs <= 0) this.enterFiring(at, out)
          else this.enter('pending', at, out)
        }
        break
      case 'pending':
        if (!raise) this.enter('ok', at, out)
        else if (at - this.raisedAt >= this.timing.forMs) this.enterFiring(at, out)
        break
      case 'firing':
        if (clear) {
          this.clearSince ??= at
          if (at - this.clearSince >= this.timing.clearForMs) this.resolve(at, out)
        } else {
          this.clearSince = null
          this.repeatIfDue(at, out)
        }
        break
    }
    return out
  }

  /** Time passes without a new result. */
  tick(now: number): Transition[] {
    if (this.state === 'ok') return NONE
    const out: Transition[] = []
    if (this.state === 'pending' && this.raising) {
      const due = this.raisedAt + this.timing.forMs
      if (now >= due) this.enterFiring(due, out)
    }
    if (this.state === 'firing') {
      if (this.clearSince !== null) {
        const due = this.clearSince + this.timing.clearForMs
        if (now >= due) this.resolve(due, out)
      } else this.repeatIfDue(now, out)
    }
    return out
  }

  /** Ends a firing or pending alert at once (its rule was removed or changed). */
  forceResolve(at: number): Transition[] {
    const out: Transition[] = []
    if (this.state === 'firing') this.resolve(at, out)
    else if (this.state === 'pending') this.enter('ok', at, out)
    return out
  }

  /**
   * An operator has seen the firing alert: it stays firing but re-notifies no more until it resolves.
   * Returns the one transition to publish (empty when not firing or already acknowledged).
   */
  acknowledge(by: string, at: number): Transition[] {
    if (this.state !== 'firing' || this.acknowledgedBy !== null) return []
    this.acknowledgedBy = { by, at }
    return [
      {
        state: 'firing',
        previous: 'firing',
        at,
        since: this.raisedAt,
        repeat: this.repeats,
        acknowledged: { by, at },
      },
    ]
  }

  /** Who acknowledged the current firing alert, if anyone. */
  get acknowledged(): { by: string; at: number } | null {
    return this.acknowledgedBy
  }

  get raisedSince(): number {
    return this.raisedAt
  }

  private repeatIfDue(now: number, out: Transition[]): void {
    const every = this.timing.repeatMs
    if (every <= 0 || this.acknowledgedBy !== null) return
    // Catch up one re-notification per call; a long gap does not burst.
    const due = this.lastNotified + every
    if (now < due) return
    this.repeats++
    this.lastNotified = due + Math.floor((now - due) / every) * every
    out.push({
      state: 'firing',
      previous: 'firing',
      at: this.lastNotified,
      since: this.raisedAt,
      repeat: this.repeats,
    })
  }

  private enterFiring(at: number, out: Transition[]): void {
    this.clearSince = null
    this.acknowledgedBy = null
    this.repeats = 0
    this.lastNotified = at
    this.enter('firing', at, out)
  }

  private resolve(at: number, out: Transition[]): void {
    this.clearSince = null
    this.acknowledgedBy = null
    out.push({ state: 'resolved', previous: this.lastPublished, at, since: this.raisedAt, repeat: 0 })
    this.lastPublished = 'resolved'
    this.state = 'ok'
    this.stateSince = at
  }

  private enter(state: AlertState, at: number, out: Transition[]): void {
    out.push({ state, previous: this.lastPublished, at, since: this.raisedAt, repeat: 0 })
    this.lastPublished = state
    this.state = state
    this.stateSince = at
  }

  /** When the current state began. */
  get since(): number {
    return this.stateSince
  }
}
