/**
 * The rule operator library (`tidegate/rules`): the operators rule files compile to, for rules written
 * in code. Each is an RxJS `OperatorFunction` whose time comes from a `SchedulerLike` (its `scheduler`
 * option, else the rule's clock while a rule builds its pipeline, else `asyncScheduler`), so the same
 * pipeline runs live, in `tidegate replay` and under a `TestScheduler`.
 *
 *   events$.pipe(
 *     filter((e) => e.type === 'climate-sensor'),
 *     keyBy((e) => e.device),
 *     windowBy({ kind: 'hopping', size: '60s', every: '10s', time: 'event', aggregate: { mean: agg.avg((e) => e.data.temperature) } }),
 *     alertState({ when: (w) => w.values.mean > 30, clear: (w) => w.values.mean < 28, for: '30s' }),
 *     map((a) => alert({ key: a.key, state: a.state, values: a.value.values })),
 *   )
 */
export { type AggregateOf, type AggregateSpec, agg, aggregate } from './aggregate.js'
export {
  type Acknowledgement,
  type AcknowledgeResult,
  type AlertChange,
  type AlertStateOptions,
  alertState,
} from './alert-state.js'
export { type DeadmanOptions, deadman, type Silence } from './deadman.js'
export {
  type AlertEffect,
  type AlertSpec,
  alert,
  type CommandEffect,
  type CommandSpec,
  command,
  type Effect,
  isEffect,
  type PublishEffect,
  type PublishSpec,
  publish,
  type WriteEffect,
  type WriteSpec,
  write,
} from './effects.js'
export { type Keyed, keyBy } from './key-by.js'
export { DEFAULT_TICK_MS, everyTick, SteppedScheduler } from './scheduler.js'
export { type Duration, type Window, type WindowOptions, windowBy } from './window-by.js'
