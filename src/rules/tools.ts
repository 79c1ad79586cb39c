import type { SchedulerLike } from 'rxjs'
import * as rx from 'rxjs'
import * as ops from './operators/index.js'

/**
 * The second argument of a code rule (`export default (events$, t) => ...`): everything it needs, so a
 * rule file works from any folder without its own node_modules.
 */
export interface RuleTools {
  /** The `rxjs` module the gateway runs (`t.rx.filter`, `t.rx.map`, `t.rx.combineLatest`, ...). */
  rx: typeof rx
  /** The operator library (`tidegate/rules`): keyBy, windowBy, aggregate, agg, alertState, deadman, effects. */
  ops: typeof ops
  /** The rule's clock: pass it to time-based RxJS operators (`debounceTime(1000, t.scheduler)`) so replay is virtual. */
  scheduler: SchedulerLike
  rule: { id: string; file: string; mode: 'live' | 'shadow' }
  /** Logs under the rule's name, at a bounded rate. */
  log(message: string, fields?: Record<string, unknown>): void
}

export function ruleTools(
  rule: RuleTools['rule'],
  scheduler: SchedulerLike,
  log: (message: string, fields?: Record<string, unknown>) => void,
): RuleTools {
  return { rx, ops, scheduler, rule, log }
}
