import type { Event } from '../core/event.js'
import type { AlertTransition } from './effects.js'
import type { CompiledRule } from './plan.js'
import type { Scope } from './templates.js'

/** What expressions and templates of a rule see: the event context and the result scope. */

export const EMPTY: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>

/** The CEL variables of an event (EVENT_VARIABLES); `key` and `prev` are set per rule. */
export function eventContext(event: Event): Record<string, unknown> {
  return {
    device: event.device,
    deviceType: event.type,
    stream: event.stream,
    topic: event.topic,
    time: event.time,
    data: event.data,
    tags: event.tags,
    prev: EMPTY,
    key: '',
  }
}

/** The template scope of a result or transition: values at the top level (`{{mean}}`) and by name. */
export function resultScope(
  rule: CompiledRule,
  key: string,
  values: Record<string, unknown>,
  device: string,
  tags: Record<string, string>,
  ctx: Record<string, unknown> | null,
): Scope {
  const scope: Scope = {
    values,
    data: ctx?.data ?? values,
    rule: rule.id,
    key,
    device,
    tags,
    severity: rule.severity,
    window: ctx?.window,
    time: ctx?.time,
  }
  // Built-in names win over a data field of the same name.
  for (const k in values) if (!(k in scope)) scope[k] = values[k]
  return scope
}

/** The first alert action's message, or a plain default. */
export function alertMessage(rule: CompiledRule, scope: Scope, t: AlertTransition): string {
  for (const a of rule.actions) if (a.kind === 'alert' && a.message) return a.message.render(scope)
  return `${t.rule} ${t.state} for ${t.key}`
}
