import type { Observable, OperatorFunction, SchedulerLike, Subscription } from 'rxjs'
import { toMs } from '../../core/duration.js'
import { AlertMachine, type Transition } from '../alert-machine.js'
import { resolveContext, stateful } from './operate.js'
import { everyTick } from './scheduler.js'
import type { Duration } from './window-by.js'

export type AcknowledgeResult = { ok: true } | { ok: false; reason: string }

/** An operator has seen the firing alert of `key`; the alert state answers in `result`. */
export interface Acknowledgement {
  key: string
  by: string
  result?: AcknowledgeResult
}

/** One alert transition of one key, with the value that led to it (the key's latest for timer ones). */
export interface AlertChange<T> extends Transition {
  key: string
  value: T
}

export interface AlertStateOptions<T> {
  /** Raises the alert. */
  when: (value: T) => boolean
  /** Clears it (default: `!when`); with `when` it gives hysteresis. */
  clear?: (value: T) => boolean
  /** `when` must hold this long before firing (pending meanwhile). */
  for?: Duration
  /** `clear` must hold this long before resolving. */
  clearFor?: Duration
  /** Re-notify this often while firing (0: state changes only). */
  repeat?: Duration
  /**
   * `processing` (default): the scheduler's clock, timers complete `for`/`clearFor`/`repeat` on ticks.
   * `event`: a value's time is `timeOf(value)` and only new values move an alert on.
   */
  time?: 'processing' | 'event'
  /** event time of a value (default: `end` of a window, else `time`). */
  timeOf?: (value: T) => number
  /** Operator acknowledgements: a firing alert of `key` stops re-notifying until it resolves. */
  acknowledgements?: Observable<Acknowledgement>
  scheduler?: SchedulerLike
  tick?: number
}

/** A transition with its key and value (built field by field: a spread of it is a slow path). */
export function change<T>(tr: Transition, key: string, value: T): AlertChange<T> {
  const c: AlertChange<T> = {
    state: tr.state,
    previous: tr.previous,
    at: tr.at,
    since: tr.since,
    repeat: tr.repeat,
    key,
    value,
  }
  if (tr.acknowledged) c.acknowledged = tr.acknowledged
  return c
}

const defaultTimeOf = (v: unknown) => {
  const o = v as { end?: number; time?: number }
  return typeof o.end === 'number' ? o.end : (o.time as number)
}

/**
 * The alert lifecycle per key (`ok → pending → firing → resolved`), see alert-machine.ts. Emits
 * transitions only. When the input completes (the rule is removed or replaced), what is firing resolves
 * and what is pending goes back to ok.
 */
export function alertState<T extends { key: string }>(
  options: AlertStateOptions<T>,
): OperatorFunction<T, AlertChange<T>> {
  const timing = {
    forMs: toMs(options.for ?? 0),
    clearForMs: toMs(options.clearFor ?? 0),
    repeatMs: toMs(options.repeat ?? 0),
  }
  const eventTime = options.time === 'event'
  const timeOf = options.timeOf ?? defaultTimeOf
  const { when, clear } = options
  const ctx = resolveContext(options)
  return stateful<T, AlertChange<T>>((out) => {
    const machines = new Map<string, AlertMachine>()
    ctx.alertMachines?.add(machines)
    const latest = new Map<string, T>()
    const emit = (key: string, value: T, transitions: Transition[]) => {
      for (let i = 0; i < transitions.length; i++) out.next(change(transitions[i] as Transition, key, value))
    }
    const machine = (key: string) => {
      let m = machines.get(key)
      if (!m) {
        m = new AlertMachine(timing)
        const seed = ctx.alertSeed?.(key)
        if (seed) m.restore(seed)
        machines.set(key, m)
      }
      return m
    }
    const firing = () => {
      let n = 0
      for (const m of machines.values()) if (m.state === 'firing') n++
      return n
    }
    ctx.meter?.firing.add(firing)
    let ticks: Subscription | null = null
    if (!eventTime)
      ticks = everyTick(ctx.scheduler, ctx.tick, (now) => {
        try {
          for (const [key, m] of machines) emit(key, latest.get(key) as T, m.tick(now))
        } catch (err) {
          out.error(err)
        }
      })
    const acks = (options.acknowledgements ?? ctx.acknowledgements)?.subscribe((ack) => {
      if (ack.result?.ok) return
      const m = machines.get(ack.key)
      if (m?.state !== 'firing') {
        ack.result ??= { ok: false, reason: 'not firing' }
        return
      }
      const transitions = m.acknowledge(ack.by, ctx.scheduler.now())
      if (transitions.length === 0) {
        ack.result = { ok: false, reason: `already acknowledged by ${m.acknowledged?.by}` }
        return
      }
      ack.result = { ok: true }
      emit(ack.key, latest.get(ack.key) as T, transitions)
    })
    return {
      next(value) {
        const raise = when(value) === true
        const cleared = clear === undefined ? !raise : clear(value) === true
        const at = eventTime ? timeOf(value) : ctx.scheduler.now()
        latest.set(value.key, value)
        emit(value.key, value, machine(value.key).evaluate(raise, cleared, at))
      },
      complete() {
        const now = ctx.scheduler.now()
        for (const [key, m] of machines) emit(key, latest.get(key) as T, m.forceResolve(now))
      },
      teardown() {
        ticks?.unsubscribe()
        acks?.unsubscribe()
        ctx.meter?.firing.delete(firing)
        ctx.alertMachines?.delete(machines)
      },
    }
  })
}
