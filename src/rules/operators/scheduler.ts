import { type SchedulerAction, type SchedulerLike, Subscription } from 'rxjs'

/**
 * How often the operators let time alone move things on (idle windows, `for`/`clearFor`/`repeat`,
 * deadman silence, held commands) when they run on a real-time scheduler. The gateway's rules extension and
 * replay step by this one constant, so a replayed alert fires at the time it would have fired live.
 */
export const DEFAULT_TICK_MS = 250

/**
 * A scheduler whose clock its owner steps: `advanceTo(t)` moves the clock and runs every action that
 * became due by then, in due order, with `now()` = t, the way a late timer runs on a busy event loop.
 * `setNow(t)` moves the clock without running anything (an event arriving between steps).
 *
 * The rule engine runs every rule on one of these: live, the gateway steps it from the wall clock every
 * 250 ms; replay steps it on the same grid in virtual time; tests step it by hand. So one pipeline runs
 * live and on virtual time, deterministically, with no timer of its own on the event loop.
 */
export class SteppedScheduler implements SchedulerLike {
  private time: number
  private queue: SteppedAction<unknown>[] = []
  private seq = 0

  constructor(start = 0) {
    this.time = start
  }

  now(): number {
    return this.time
  }

  /** Moves the clock forward (never back) without running due actions. */
  setNow(t: number): void {
    if (t > this.time) this.time = t
  }

  /**
   * Runs `fn` with `now()` = `t`, even when `t` is in the past, without running due actions; afterwards
   * the clock is where it was (or later, if `fn` moved it on). For replaying events at their own time.
   */
  travel<R>(t: number, fn: () => R): R {
    const saved = this.time
    this.time = t
    try {
      return fn()
    } finally {
      if (this.time < saved) this.time = saved
    }
  }

  /** Moves the clock to `t` and runs what is due by then (including actions they schedule for ≤ t). */
  advanceTo(t: number): void {
    this.setNow(t)
    const q = this.queue
    while (q.length > 0 && (q[0] as SteppedAction<unknown>).due <= this.time) {
      const action = q.shift() as SteppedAction<unknown>
      action.run()
    }
  }

  /** Actions waiting (tests, diagnostics). */
  get pending(): number {
    return this.queue.length
  }

  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
    return new SteppedAction<T>(this, work).schedule(state, delay)
  }

  /** @internal */
  enqueue(action: SteppedAction<unknown>, delay: number): void {
    this.remove(action)
    action.due = this.time + Math.max(0, delay)
    action.order = this.seq++
    const q = this.queue
    let i = q.length
    while (i > 0) {
      const prev = q[i - 1] as SteppedAction<unknown>
      if (prev.due < action.due || (prev.due === action.due && prev.order < action.order)) break
      i--
    }
    q.splice(i, 0, action)
  }

  /** @internal */
  remove(action: SteppedAction<unknown>): void {
    const i = this.queue.indexOf(action)
    if (i >= 0) this.queue.splice(i, 1)
  }
}

/** One scheduled piece of work; rescheduling reuses the action (periodic work allocates nothing). */
class SteppedAction<T> extends Subscription implements SchedulerAction<T> {
  due = 0
  order = 0
  private state: T | undefined

  constructor(
    private readonly scheduler: SteppedScheduler,
    private readonly work: (this: SchedulerAction<T>, state?: T) => void,
  ) {
    super(() => scheduler.remove(this as SteppedAction<unknown>))
  }

  schedule(state?: T, delay = 0): Subscription {
    if (this.closed) return this
    this.state = state
    this.scheduler.enqueue(this as SteppedAction<unknown>, delay)
    return this
  }

  run(): void {
    if (this.closed) return
    this.work.call(this, this.state)
  }
}

/**
 * Calls `fn(now)` every `ms` on `scheduler` until the returned subscription ends: the operators' clock.
 * One action, rescheduled in place.
 */
export function everyTick(scheduler: SchedulerLike, ms: number, fn: (now: number) => void): Subscription {
  return scheduler.schedule(function tick(this: SchedulerAction<undefined>) {
    this.schedule(undefined, ms)
    fn(scheduler.now())
  }, ms)
}
