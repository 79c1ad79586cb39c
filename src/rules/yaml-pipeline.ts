import { Observable, type OperatorFunction, type SchedulerLike, type Subscriber } from 'rxjs'
import type { DeadLetter } from '../core/dead-letter.js'
import { type Event, sameTags } from '../core/event.js'
import { ActionRunner } from './actions.js'
import type { AlertTransition } from './effects.js'
import { type AlertChange, alertState } from './operators/alert-state.js'
import { deadman } from './operators/deadman.js'
import type { Effect } from './operators/effects.js'
import type { Keyed } from './operators/key-by.js'
import { windowBy } from './operators/window-by.js'
import type { CompiledRule } from './plan.js'
import { alertMessage, EMPTY, resultScope } from './scopes.js'
import { contextOf, type RuleCounters, selectEvents } from './yaml-select.js'

/** What the rule host gives a YAML pipeline besides its clock. */
export interface YamlHost {
  scheduler: SchedulerLike
  counters: RuleCounters
  /** A runtime error of an expression or action: counted and reported, the stream goes on. */
  fail(part: string, key: string, err: unknown): void
  deadLetter(d: DeadLetter): void
}

/** One evaluation of a rule: a closed window, or a matching event of a rule without a window. */
export interface YamlResult {
  key: string
  values: Record<string, unknown>
  device: string
  tags: Record<string, string>
  /** When it happened: the window end (event time) or the clock. */
  at: number
  /** The time of a derived point: the window start or the event time. */
  pointTime: number
}

/**
 * What the steps of one pipeline share about the result being evaluated, during its synchronous pass
 * only: the CEL context of when/clear and the previous values (`prev`, `changed()`). Kept out of the
 * per-key result on purpose: a long-lived object pointing at each pass's young context made the
 * garbage collector promote them all (bench:rules ran at half speed).
 */
interface Pass {
  ctx: Record<string, unknown>
  prev: Record<string, unknown> | null
  /** Counts the result and runs the `on: result` actions (set per subscription: they emit to it). */
  onResult: (r: YamlResult) => void
}

interface DeviceAndTags {
  device: string
  tags: Record<string, string>
}

/** The last reading's device and tags: the same object while they stay the same (no garbage per reading). */
function keepDeviceAndTags(k: Keyed<Event>, kept: DeviceAndTags | undefined): DeviceAndTags {
  const e = k.value
  if (kept && kept.device === e.device && sameTags(kept.tags, e.tags)) return kept
  return { device: e.device, tags: e.tags }
}

/**
 * A rule file as one RxJS pipeline of the operator library:
 *
 *   from + where + key ─► selectEvents (filter, keyBy)
 *   window + aggregate ─► windowBy({ kind, size, every, gap, timeout, time, lateness, aggregate })
 *   when/clear/for/clearFor/repeat ─► alertState(...)      (kind: deadman ─► deadman({ silence, expect }))
 *   actions ─► effect values (alert, command, write, publish): `on: result` as each result passes,
 *              the others on the alert's transitions
 *
 * CEL runtime errors are counted and read as false/missing, so the stream never errors on them.
 */
export function yamlPipeline(rule: CompiledRule, host: YamlHost): OperatorFunction<Event, Effect> {
  // Operators are made here, once, so they take the rule's clock and meter (withRuleContext).
  const pass: Pass = { ctx: EMPTY, prev: null, onResult: () => {} }
  const select = selectEvents(rule, host, rule.kind !== 'deadman')
  const watchSilence =
    rule.kind === 'deadman'
      ? deadman<Keyed<Event>, DeviceAndTags>({
          silence: rule.silenceMs,
          expect: rule.expect,
          // A YAML deadman's alert names the device and its tags, nothing else of the last reading.
          keep: keepDeviceAndTags,
          ...timing(rule),
          scheduler: host.scheduler,
        })
      : null
  const toResults = rule.window ? windowed(rule, host, pass) : perEvent(host, pass)
  const alerting =
    rule.when === null
      ? null
      : alertState<YamlResult>({
          when: (r) => condition(rule, host, pass, 'when', r),
          ...(rule.clear === null
            ? {}
            : { clear: (r: YamlResult) => condition(rule, host, pass, 'clear', r) }),
          ...timing(rule),
          time: rule.eventTime ? 'event' : 'processing',
          timeOf: (r) => r.at,
          scheduler: host.scheduler,
        })
  return (events$) =>
    new Observable<Effect>((out) => {
      const actions = new ActionRunner(rule, (e) => out.next(e), host.fail)
      const publish = (
        change: AlertChange<unknown>,
        values: Record<string, unknown>,
        device: string,
        tags: Record<string, string>,
      ) => {
        host.counters.transitions++
        const scope = resultScope(rule, change.key, values, device, tags, null)
        scope.state = change.state
        const t: AlertTransition = {
          rule: rule.id,
          key: change.key,
          state: change.state,
          previous: change.previous,
          severity: rule.severity,
          message: '',
          values,
          since: change.since,
          at: change.at,
          repeat: change.repeat,
          mode: rule.mode,
          device,
        }
        if (change.acknowledged) t.acknowledged = change.acknowledged
        t.message = alertMessage(rule, scope, t)
        scope.message = t.message
        actions.onTransition(t, scope)
      }
      const selected$ = events$.pipe(select)
      if (watchSilence) {
        return selected$.pipe(watchSilence).subscribe({
          next: (c) => {
            const last = c.value.last
            const values = { lastSeen: c.value.lastSeen, silentFor: c.value.silentFor }
            publish(c, values, last?.device ?? c.key, last?.tags ?? {})
          },
          error: (err: unknown) => out.error(err),
          complete: () => out.complete(),
        })
      }
      pass.onResult = (r) => {
        host.counters.results++
        if (actions.hasResultActions)
          actions.onResult(resultScope(rule, r.key, r.values, r.device, r.tags, pass.ctx), r.key, r.pointTime)
      }
      const results$ = selected$.pipe(toResults)
      const changes$: Observable<YamlResult | AlertChange<YamlResult>> = alerting
        ? results$.pipe(alerting)
        : results$
      return changes$.subscribe({
        next: (c) => {
          if ('state' in c) publish(c, c.value.values, c.value.device, c.value.tags)
        },
        error: (err: unknown) => out.error(err),
        complete: () => out.complete(),
      })
    })
}

/** when/clear of a result; a runtime error counts and reads as false. */
function condition(
  rule: CompiledRule,
  host: YamlHost,
  pass: Pass,
  part: 'when' | 'clear',
  res: YamlResult,
): boolean {
  rule.scope.current = res.values
  rule.scope.prev = pass.prev
  try {
    return (part === 'when' ? rule.when : rule.clear)?.(pass.ctx) === true
  } catch (err) {
    host.fail(part, res.key, err)
    return false
  }
}

function timing(rule: CompiledRule) {
  return { for: rule.timing.forMs, clearFor: rule.timing.clearForMs, repeat: rule.timing.repeatMs }
}

/** Per key: the latest result (its values are the next result's `prev`, for `changed()`). */
type Memory = Map<string, YamlResult>

function perEvent(host: YamlHost, pass: Pass): OperatorFunction<Keyed<Event>, YamlResult> {
  return (selected$) =>
    new Observable<YamlResult>((out) => {
      const memory: Memory = new Map()
      return selected$.subscribe({
        next: (k) => {
          const event = k.value
          const ctx = contextOf(event)
          const prev = memory.get(k.key)?.values ?? null
          const r = remember(
            memory,
            k.key,
            event.data,
            event.device,
            event.tags,
            host.scheduler.now(),
            event.time,
          )
          ctx.prev = prev ?? EMPTY
          evaluate(out, pass, r, ctx, prev)
        },
        error: (err: unknown) => out.error(err),
        complete: () => out.complete(),
      })
    })
}

/** Hands a result on with its pass; the pass is dropped once it has been through (see Pass). */
function evaluate(
  out: Subscriber<YamlResult>,
  pass: Pass,
  r: YamlResult,
  ctx: Record<string, unknown>,
  prev: Record<string, unknown> | null,
): void {
  pass.ctx = ctx
  pass.prev = prev
  try {
    pass.onResult(r)
    out.next(r)
  } finally {
    pass.ctx = EMPTY
    pass.prev = null
  }
}

/** The key's result object, updated in place (one per key, not one per event: this is the hot path). */
function remember(
  memory: Memory,
  key: string,
  values: Record<string, unknown>,
  device: string,
  tags: Record<string, string>,
  at: number,
  pointTime: number,
): YamlResult {
  let r = memory.get(key)
  if (r === undefined) {
    r = { key, values, device, tags, at, pointTime }
    memory.set(key, r)
    return r
  }
  r.values = values
  r.device = device
  r.tags = tags
  r.at = at
  r.pointTime = pointTime
  return r
}

function windowed(
  rule: CompiledRule,
  host: YamlHost,
  pass: Pass,
): OperatorFunction<Keyed<Event>, YamlResult> {
  const w = rule.window!
  const aggregate: Record<
    string,
    { call: (typeof rule.aggregates)[number]['call']; read: ((v: Event) => unknown) | null }
  > = {}
  for (const a of rule.aggregates) {
    const input = a.input
    aggregate[a.name] = {
      call: a.call,
      read:
        input === null
          ? null
          : (event) => {
              const ctx = contextOf(event)
              try {
                return input(ctx)
              } catch (err) {
                host.fail(`aggregate:${a.name}`, ctx.key as string, err)
                return undefined
              }
            },
    }
  }
  const windows = windowBy<Event>({
    kind: w.kind,
    ...(w.size !== undefined ? { size: w.size } : {}),
    ...(w.every !== undefined ? { every: w.every } : {}),
    ...(w.gap !== undefined ? { gap: w.gap } : {}),
    ...(w.timeout !== undefined ? { timeout: w.timeout } : {}),
    ...(w.time !== undefined ? { time: w.time } : {}),
    ...(w.lateness !== undefined ? { lateness: w.lateness } : {}),
    aggregate,
    late: (event, key, watermark) => lateEvent(rule, host, event, key, watermark),
    scheduler: host.scheduler,
  })
  const names = rule.aggregates.map((a) => a.name)
  return (selected$) =>
    new Observable<YamlResult>((out) => {
      const memory: Memory = new Map()
      return selected$.pipe(windows).subscribe({
        next: (win) => {
          const last = win.last
          const prev = memory.get(win.key)?.values ?? null
          // Built by assignment, not spread: spreading a dynamically keyed object is a slow path in V8.
          const ctx: Record<string, unknown> = {
            device: last.device,
            key: win.key,
            tags: last.tags,
            prev: prev ?? EMPTY,
            window: { start: win.start, end: win.end, count: win.count },
            time: win.end,
          }
          for (let i = 0; i < names.length; i++) {
            const name = names[i] as string
            ctx[name] = win.values[name]
          }
          const at = rule.eventTime ? win.end : host.scheduler.now()
          const r = remember(memory, win.key, win.values, last.device, last.tags, at, win.start)
          evaluate(out, pass, r, ctx, prev)
        },
        error: (err: unknown) => out.error(err),
        complete: () => out.complete(),
      })
    })
}

function lateEvent(rule: CompiledRule, host: YamlHost, event: Event, key: string, watermark: number): void {
  host.deadLetter({
    reason: 'late',
    topic: event.topic,
    payload: JSON.stringify(event.data),
    encoding: 'utf8',
    errors: [
      `rule ${rule.id}: event time ${event.time} is behind the watermark ${watermark} of key "${key}"`,
    ],
    device: event.device,
    type: event.type,
    at: host.scheduler.now(),
  })
}
