import { asyncScheduler, interval, Observable, type OperatorFunction, type SchedulerLike } from 'rxjs'
import type { DeadLetter } from '../core/dead-letter.js'
import type { Event } from '../core/event.js'
import type { AlertTransition, DerivedPoint, RuleCommand, RuleError, RulePublish } from './effects.js'
import { RuleEngine } from './engine.js'
import type { CompiledRule } from './plan.js'

/** Every effect of the engine as one tagged value, for the Observable form. */
export type RuleEffect =
  | { kind: 'alert'; alert: AlertTransition }
  | { kind: 'command'; command: RuleCommand }
  | { kind: 'write'; point: DerivedPoint }
  | { kind: 'publish'; message: RulePublish }
  | { kind: 'deadLetter'; deadLetter: DeadLetter }
  | { kind: 'error'; error: RuleError }

export interface RunRulesOptions {
  /** Time source and timer: `asyncScheduler` live, a TestScheduler or VirtualTimeScheduler for replay. */
  scheduler?: SchedulerLike
  /** How often time alone moves the rules on (default 250 ms, as in the gateway). */
  tickMs?: number
}

/**
 * The engine as an RxJS operator: events in, effects out; processing time and ticks come from the
 * scheduler, so the same rules run live or on virtual time. Each subscription runs its own engine.
 */
export function runRules(
  rules: readonly CompiledRule[],
  options: RunRulesOptions = {},
): OperatorFunction<Event, RuleEffect> {
  const scheduler = options.scheduler ?? asyncScheduler
  const tickMs = options.tickMs ?? 250
  return (events) =>
    new Observable<RuleEffect>((subscriber) => {
      const engine = new RuleEngine({
        clock: () => scheduler.now(),
        effects: {
          onAlertTransition: (alert) => subscriber.next({ kind: 'alert', alert }),
          onCommand: (command) => subscriber.next({ kind: 'command', command }),
          onWrite: (point) => subscriber.next({ kind: 'write', point }),
          onPublish: (message) => subscriber.next({ kind: 'publish', message }),
          onDeadLetter: (deadLetter) => subscriber.next({ kind: 'deadLetter', deadLetter }),
          onError: (error) => subscriber.next({ kind: 'error', error }),
        },
      })
      engine.setRules(rules)
      const ticks = interval(tickMs, scheduler).subscribe(() => engine.advanceTo())
      const input = events.subscribe({
        next: (event) => engine.push(event),
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          engine.advanceTo()
          subscriber.complete()
        },
      })
      return () => {
        ticks.unsubscribe()
        input.unsubscribe()
      }
    })
}
