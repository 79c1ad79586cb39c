import type { OperatorFunction } from 'rxjs'
import type { Event } from '../core/event.js'
import type { Keyed } from './operators/key-by.js'
import { stateful } from './operators/operate.js'
import type { CompiledRule } from './plan.js'
import { EMPTY, eventContext } from './scopes.js'

/** The counters a rule's pipeline keeps (besides its effects' and its operators'). */
export interface RuleCounters {
  /** Events that passed from/where. */
  matched: number
  /** Results evaluated (closed windows, per-event evaluations). */
  results: number
  /** Runtime errors (expressions, actions, a failing code pipeline). */
  errors: number
  transitions: number
}

export function newCounters(): RuleCounters {
  return { matched: 0, results: 0, errors: 0, transitions: 0 }
}

let lastEvent: Event | null = null
let lastContext: Record<string, unknown> = {}

/**
 * The CEL context of an event. Every rule sees the same event in turn, synchronously, so one cached
 * context serves them all (each sets its own `key` and `prev` before evaluating).
 */
export function contextOf(event: Event): Record<string, unknown> {
  if (event !== lastEvent) {
    lastEvent = event
    lastContext = eventContext(event)
  }
  return lastContext
}

/**
 * `from` + `where` + `key` of a rule file in one step (a `filter` and a `keyBy`, fused: most events stop
 * here, so this is the hot path). A failing `where` or `key` is counted and skips the event.
 */
export function selectEvents(
  rule: CompiledRule,
  host: { counters: RuleCounters; fail(part: string, key: string, err: unknown): void },
  /** Hand on one mutable Keyed per subscription (when nothing downstream keeps it: not for deadman). */
  reuse: boolean,
): OperatorFunction<Event, Keyed<Event>> {
  return stateful<Event, Keyed<Event>>((out) => {
    const scratch: Keyed<Event> = { key: '', value: undefined as unknown as Event }
    return {
      next(event) {
        // The engine hands a YAML rule only events its `from` matches (RunningRule.push).
        const ctx = contextOf(event)
        ctx.prev = EMPTY
        ctx.key = ''
        if (rule.where !== null) {
          try {
            if (rule.where(ctx) !== true) return
          } catch (err) {
            host.fail('where', '', err)
            return
          }
        }
        let key: string
        try {
          key = String(rule.keyOf(ctx) ?? '')
        } catch (err) {
          host.fail('key', '', err)
          return
        }
        ctx.key = key
        host.counters.matched++
        if (!reuse) return out.next({ key, value: event })
        scratch.key = key
        scratch.value = event
        out.next(scratch)
      },
    }
  })
}
