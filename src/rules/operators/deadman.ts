import type { OperatorFunction, SchedulerLike } from 'rxjs'
import { toMs } from '../../core/duration.js'
import { AlertMachine, type AlertSeed, type Transition } from '../alert-machine.js'
import { type AlertChange, change } from './alert-state.js'
import { resolveContext, stateful } from './operate.js'
import { everyTick } from './scheduler.js'
import type { Duration } from './window-by.js'

export interface DeadmanOptions<T = unknown, L = T> {
  /** How long a key may be silent. */
  silence: Duration
  /**
   * What to keep of a key's last value for `Silence.last` (default: the value itself). Return `kept` when
   * nothing that matters changed. Why: the deadman holds each key's last value until the next one, and a
   * value held that long (a device's reading period) outlives the young generation at thousands of
   * values per second: every one of them was promoted and left for a full collection. Keeping only what
   * the alert needs, and the same object while it is unchanged, makes a steady stream allocate nothing.
   */
  keep?: (value: T, kept: L | undefined) => L
  /** Keys watched from the start, before their first value. */
  expect?: readonly string[]
  for?: Duration
  clearFor?: Duration
  repeat?: Duration
  scheduler?: SchedulerLike
  tick?: number
}

/** What a deadman transition reports: when the key was last heard and how long it has been silent. */
export interface Silence<L> {
  key: string
  lastSeen: number
  silentFor: number
  /** What `keep` kept of the key's last value (undefined for an `expect` key never heard). */
  last: L | undefined
}

/**
 * Fires for a key that sent nothing for `silence` (on the scheduler's clock), resolves when it speaks
 * again. Keys are those seen since subscription plus `expect`.
 */
export function deadman<T extends { key: string }, L = T>(
  options: DeadmanOptions<T, L>,
): OperatorFunction<T, AlertChange<Silence<L>>> {
  const silence = toMs(options.silence)
  if (!(silence > 0)) throw new TypeError('deadman: silence must be more than 0')
  const timing = {
    forMs: toMs(options.for ?? 0),
    clearForMs: toMs(options.clearFor ?? 0),
    repeatMs: toMs(options.repeat ?? 0),
  }
  const keep = options.keep ?? ((value: T) => value as unknown as L)
  const ctx = resolveContext(options)
  const stateId = ctx.keyedState?.nextId('deadman')
  return stateful<T, AlertChange<Silence<L>>>((out) => {
    const seen = new Map<string, { at: number; last: L | undefined; value: Silence<L> }>()
    const machines = new Map<string, AlertMachine>()
    const emit = (key: string, value: Silence<L>, transitions: Transition[]) => {
      for (const tr of transitions) out.next(change(tr, key, value))
    }
    const start = ctx.scheduler.now()
    for (const key of options.expect ?? [])
      seen.set(key, {
        at: start,
        last: undefined,
        value: { key, lastSeen: start, silentFor: 0, last: undefined },
      })
    const firing = () => {
      let n = 0
      for (const m of machines.values()) if (m.state === 'firing') n++
      return n
    }
    ctx.meter?.firing.add(firing)
    // A cluster snapshot keeps when each key was last seen (and its alert), so a new owner of its
    // partition fires at the original deadline.
    const keyed =
      stateId === undefined
        ? undefined
        : ctx.keyedState?.attach(stateId, {
            save: (key) => {
              const s = seen.get(key)
              if (!s) return undefined
              return { at: s.at, last: s.last ?? null, alert: machines.get(key)?.seed() ?? null }
            },
            restore: (key, saved) => {
              const r = saved as { at: number; last: L | null; alert: AlertSeed | null }
              const last = r.last ?? undefined
              seen.set(key, { at: r.at, last, value: { key, lastSeen: r.at, silentFor: 0, last } })
              machines.delete(key)
              // The alert snapshot is written at each transition: newer than this one when it has the key.
              const alert = ctx.alertSeed?.(key) ?? r.alert
              if (alert) {
                const m = new AlertMachine(timing)
                m.restore(alert)
                machines.set(key, m)
              }
            },
            forget: (key) => {
              seen.delete(key)
              machines.delete(key)
            },
          })
    const ticks = everyTick(ctx.scheduler, ctx.tick, (now) => {
      try {
        for (const [key, s] of seen) {
          const silent = now - s.at >= silence
          let m = machines.get(key)
          if (!silent && (m === undefined || m.state === 'ok')) continue
          if (!m) {
            m = new AlertMachine(timing)
            machines.set(key, m)
          }
          s.value = { key, lastSeen: s.at, silentFor: now - s.at, last: s.last }
          emit(key, s.value, m.evaluate(silent, !silent, silent ? s.at + silence : now))
          emit(key, s.value, m.tick(now))
        }
      } catch (err) {
        out.error(err)
      }
    })
    return {
      next(value) {
        const now = ctx.scheduler.now()
        const key = value.key
        const s = seen.get(key)
        let last: L
        if (s) {
          s.at = now
          last = keep(value, s.last)
          s.last = last
        } else {
          last = keep(value, undefined)
          seen.set(key, { at: now, last, value: { key, lastSeen: now, silentFor: 0, last } })
        }
        keyed?.touch(key)
        const m = machines.get(key)
        if (m && m.state !== 'ok') {
          const v: Silence<L> = { key, lastSeen: now, silentFor: 0, last }
          ;(seen.get(key) as { value: Silence<L> }).value = v
          emit(key, v, m.evaluate(false, true, now))
        }
      },
      complete() {
        const now = ctx.scheduler.now()
        for (const [key, m] of machines)
          emit(key, (seen.get(key) as { value: Silence<L> }).value, m.forceResolve(now))
      },
      teardown() {
        keyed?.detach()
        ticks.unsubscribe()
        ctx.meter?.firing.delete(firing)
      },
    }
  })
}
