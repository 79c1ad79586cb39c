import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike, type Subscriber } from 'rxjs'
import type { AlertMachine, AlertSeed } from '../alert-machine.js'
import type { Acknowledgement } from './alert-state.js'
import type { KeyedStateRegistry } from './keyed-state.js'
import { DEFAULT_TICK_MS } from './scheduler.js'

/**
 * What a rule's operators share without the author passing it around: the rule's clock and its meter.
 * Operators created while a rule builds its pipeline (`withRuleContext`) pick it up; elsewhere (tests,
 * plain RxJS) they run on `asyncScheduler` and count nowhere unless given options.
 */
export interface RuleContext {
  scheduler: SchedulerLike
  /** Tick period of the operators' timers (ms). */
  tick: number
  meter?: RuleMeter
  /** Operator acknowledgements of firing alerts (`alertState` stops re-notifying). */
  acknowledgements?: Observable<Acknowledgement>
  /** The state a key's alert continues from when its machine is created (a cluster takeover). */
  alertSeed?: (key: string) => AlertSeed | undefined
  /** The rule's alert machines by key, per alertState operator (the engine forgets a key a cluster gave away). */
  alertMachines?: Set<Map<string, AlertMachine>>
  /** The rule's windowBy/deadman state per key, for cluster snapshots (save, restore, forget by partition). */
  keyedState?: KeyedStateRegistry
}

/** Per-rule figures the operators keep up to date (the gateway's per-rule metrics and status page). */
export interface RuleMeter {
  /** Events behind the watermark (late side output). */
  late: number
  /** Live gauges, summed: open windows, firing keys. */
  openWindows: Set<() => number>
  firing: Set<() => number>
}

export function newMeter(): RuleMeter {
  return { late: 0, openWindows: new Set(), firing: new Set() }
}

export function sumGauges(gauges: Set<() => number>): number {
  let n = 0
  for (const g of gauges) n += g()
  return n
}

let current: RuleContext | null = null

/** Runs `build` with `context` as the default for every operator it creates. */
export function withRuleContext<R>(context: RuleContext, build: () => R): R {
  const outer = current
  current = context
  try {
    return build()
  } finally {
    current = outer
  }
}

/** The clock and meter an operator uses: its options, else the rule being built, else real time. */
export function resolveContext(options: { scheduler?: SchedulerLike; tick?: number }): RuleContext {
  const base = current
  return {
    scheduler: options.scheduler ?? base?.scheduler ?? asyncScheduler,
    tick: options.tick ?? base?.tick ?? DEFAULT_TICK_MS,
    ...(base?.meter ? { meter: base.meter } : {}),
    ...(base?.acknowledgements ? { acknowledgements: base.acknowledgements } : {}),
    ...(base?.alertSeed ? { alertSeed: base.alertSeed } : {}),
    ...(base?.alertMachines ? { alertMachines: base.alertMachines } : {}),
    ...(base?.keyedState ? { keyedState: base.keyedState } : {}),
  }
}

export interface StatefulSink<I> {
  next(value: I): void
  /** Before the output completes (e.g. resolve what is firing). */
  complete?(): void
  teardown?(): void
}

/**
 * A synchronous stateful operator: `setup` runs per subscription and gets the output subscriber. An
 * error thrown by `next`/`complete` goes to the output's error channel (never an unhandled throw), so
 * the rule host counts it and resubscribes.
 */
export function stateful<I, O>(setup: (out: Subscriber<O>) => StatefulSink<I>): OperatorFunction<I, O> {
  return (source) =>
    new Observable<O>((out) => {
      const sink = setup(out)
      const sub = source.subscribe({
        next(value) {
          try {
            sink.next(value)
          } catch (err) {
            out.error(err)
          }
        },
        error(err: unknown) {
          out.error(err)
        },
        complete() {
          try {
            sink.complete?.()
            out.complete()
          } catch (err) {
            out.error(err)
          }
        },
      })
      return () => {
        sub.unsubscribe()
        sink.teardown?.()
      }
    })
}
