import type { OperatorFunction, SchedulerLike } from 'rxjs'
import { toMs } from '../../core/duration.js'
import type { AggregateSpec } from './aggregate.js'
import type { Keyed } from './key-by.js'
import { resolveContext, stateful } from './operate.js'
import { everyTick } from './scheduler.js'
import type { WindowPlan, WindowResult } from './window/base.js'
import { createWindower } from './window/factory.js'

/** A duration: milliseconds, or `250ms`, `10s`, `5m`, `2h`, `7d`. */
export type Duration = number | string

export interface WindowOptions<T> {
  kind: 'tumbling' | 'hopping' | 'sliding' | 'session' | 'count'
  /** Window length (tumbling, hopping, sliding); events per window (count). */
  size?: Duration
  /** hopping: a window starts this often (size is a multiple of it). */
  every?: Duration
  /** session: silence that ends a session. */
  gap?: Duration
  /** count: silence that closes a partial window (default never). */
  timeout?: Duration
  /** `processing` (default): arrival on the scheduler's clock; `event`: `timeOf(value)`. */
  time?: 'processing' | 'event'
  /** event time: how far a value may trail the newest value of its key and still count. */
  lateness?: Duration
  /** event time of a value (default `value.time`, as on gateway events). */
  timeOf?: (value: T) => number
  /** Aggregate incrementally (keeps no items): the window's `values`, by name. */
  aggregate?: AggregateSpec<T>
  /** Late side output: a value whose windows all closed (else it is dropped and counted as late). */
  late?: (value: T, key: string, watermark: number) => void
  scheduler?: SchedulerLike
  /** How often processing time closes idle windows (ms). */
  tick?: number
}

/** A closed window of one key. */
export interface Window<T> {
  key: string
  start: number
  end: number
  /** Values in the window. */
  count: number
  /** The newest value. */
  last: T
  /** The values, in arrival order (empty when `aggregate` was given). */
  items: readonly T[]
  /** The aggregates by name (empty without `aggregate`, until `aggregate()`). */
  values: Record<string, unknown>
}

const NO_ITEMS: readonly never[] = Object.freeze([])
const defaultTimeOf = (v: unknown) => (v as { time: number }).time

function ms(name: string, d: Duration | undefined, fallback?: number): number {
  if (d === undefined) {
    if (fallback === undefined) throw new TypeError(`windowBy: "${name}" is required`)
    return fallback
  }
  const v = toMs(d)
  if (!(v >= 0)) throw new TypeError(`windowBy: "${name}" must be a duration, got ${String(d)}`)
  return v
}

/** The checked plan of window options (also what rule files compile to). */
export function windowPlan<T>(o: WindowOptions<T>): WindowPlan {
  const calls = Object.values(o.aggregate ?? {}).map((a) => a.call)
  const count = o.kind === 'count'
  const size = o.kind === 'session' ? 0 : count ? Number(o.size) : ms('size', o.size)
  if (count && !(Number.isInteger(size) && size > 0))
    throw new TypeError('windowBy: a count window needs size: a whole number of values')
  if (!count && o.kind !== 'session' && size <= 0) throw new TypeError('windowBy: size must be > 0')
  const every = o.kind === 'hopping' ? ms('every', o.every) : size
  if (o.kind === 'hopping' && (every <= 0 || size % every !== 0))
    throw new TypeError('windowBy: hopping size must be a multiple of every')
  return {
    kind: o.kind,
    eventTime: o.time === 'event',
    sizeMs: count ? 0 : size,
    everyMs: count ? 0 : every,
    gapMs: o.kind === 'session' ? ms('gap', o.gap) : 0,
    latenessMs: ms('lateness', o.lateness, 0),
    count: count ? size : 0,
    timeoutMs: ms('timeout', o.timeout, 0),
    aggregates: o.aggregate ? calls : [{ fn: 'items', arg: 'value', argOffset: 0, p: 0 }],
  }
}

/**
 * Keyed windows: tumbling, hopping, sliding, session and count, in processing or event time. Event time
 * keeps a watermark per key (newest time − lateness; a silent key's watermark moves on with the clock),
 * closes a window once the watermark passes its end, and hands late values to `late`. Time comes from
 * the scheduler, so the same pipeline runs live and on virtual time.
 */
export function windowBy<T>(options: WindowOptions<T>): OperatorFunction<Keyed<T>, Window<T>> {
  const plan = windowPlan(options)
  const names = options.aggregate ? Object.keys(options.aggregate) : null
  const reads = options.aggregate ? Object.values(options.aggregate).map((a) => a.read) : null
  const timeOf = options.timeOf ?? defaultTimeOf
  const ctx = resolveContext(options)
  const stateId = ctx.keyedState?.nextId('window')
  return stateful<Keyed<T>, Window<T>>((out) => {
    const toWindow = (r: WindowResult): Window<T> => {
      const values: Record<string, unknown> = {}
      if (names) for (let i = 0; i < names.length; i++) values[names[i] as string] = r.values[i]
      const items = names ? NO_ITEMS : (r.values[0] as T[])
      return { key: r.key, start: r.start, end: r.end, count: r.count, last: r.last as T, items, values }
    }
    const windower = createWindower(plan, {
      emit: (r) => out.next(toWindow(r)),
      late: (value, key, watermark) => {
        if (ctx.meter) ctx.meter.late++
        options.late?.(value as T, key, watermark)
      },
    })
    const keyed = stateId === undefined ? undefined : ctx.keyedState?.attach(stateId, windower)
    const inputs: unknown[] = new Array(reads === null ? 1 : reads.length)
    const gauge = () => windower.openWindows()
    ctx.meter?.openWindows.add(gauge)
    const ticks = everyTick(ctx.scheduler, ctx.tick, (now) => {
      try {
        windower.tick(now)
      } catch (err) {
        out.error(err)
      }
    })
    return {
      next(k) {
        // One scratch array per subscription: the windowers fold or copy the inputs, never keep it.
        if (reads === null) inputs[0] = k.value
        else
          for (let i = 0; i < reads.length; i++) {
            const read = reads[i]
            inputs[i] = read ? read(k.value) : true
          }
        const now = ctx.scheduler.now()
        windower.add(k.key, plan.eventTime ? timeOf(k.value) : now, now, inputs, k.value)
        keyed?.touch(k.key)
      },
      teardown() {
        keyed?.detach()
        ticks.unsubscribe()
        ctx.meter?.openWindows.delete(gauge)
      },
    }
  })
}
