import type { Observable } from 'rxjs'
import type { Event } from '../core/event.js'
import type { AggregateCall } from './aggregates.js'
import type { AlertTiming } from './alert-machine.js'
import type { ChangeScope, CompiledExpression } from './expressions.js'
import type { Effect } from './operators/effects.js'
import type { RuleFile, Trigger } from './schema.js'
import type { DeepTemplate, Template } from './templates.js'
import type { RuleTools } from './tools.js'

/**
 * A checked rule, ready to run: expressions compiled, templates parsed, durations in ms.
 * Produced by `compile.ts` from a rule file; run by `runtime.ts`. Nothing here does I/O.
 */
export interface CompiledRule {
  id: string
  file: string
  /** Canonical text of the checked definition: an unchanged rule keeps its state across reloads. */
  fingerprint: string
  definition: RuleFile
  mode: 'live' | 'shadow'
  kind: 'standard' | 'deadman'
  severity: RuleFile['severity']
  matches(event: Event): boolean
  where: CompiledExpression | null
  /** The state key of an event (device id by default). */
  keyOf: ValueReader
  /** The `window` section (run by `windowBy`); null: every event is evaluated on its own. */
  window: RuleFile['window'] | null
  aggregates: AggregateInput[]
  when: CompiledExpression | null
  clear: CompiledExpression | null
  timing: AlertTiming
  /** Event-time rules measure `for`, `clearFor` and `repeat` in event time, at evaluations only. */
  eventTime: boolean
  silenceMs: number
  expect: readonly string[]
  actions: CompiledAction[]
  /** Feeds `changed()` / `prev` for this rule's expressions. */
  scope: ChangeScope
}

/** Reads a value from an event's CEL context (fast path for plain fields, CEL otherwise). */
export type ValueReader = (context: Record<string, unknown>) => unknown

export interface AggregateInput {
  name: string
  call: AggregateCall
  input: ValueReader | null
}

export type CompiledAction =
  | { kind: 'alert'; message: Template | null; on: ReadonlySet<Trigger> }
  | {
      kind: 'command'
      device: Template
      name: string
      params: DeepTemplate
      on: ReadonlySet<Trigger>
      onClear: { name: string; params: DeepTemplate } | null
      minIntervalMs: number
    }
  | {
      kind: 'write'
      measurement: string
      fields: readonly string[]
      tags: readonly [string, Template][]
      on: ReadonlySet<Trigger>
    }
  | {
      kind: 'publish'
      topic: Template
      payload: DeepTemplate
      qos: 0 | 1
      retain: boolean
      on: ReadonlySet<Trigger>
    }

/**
 * A rule written in code (`rules/*.rule.mjs`, `*.rule.ts`): its default export builds the pipeline.
 * It runs beside the YAML rules on the same host: same clock, effect path, metrics and reload rules.
 */
export interface CodeRule {
  id: string
  file: string
  /** Hash of the file text: an unchanged file keeps its running pipeline across reloads. */
  fingerprint: string
  mode: 'live' | 'shadow'
  severity: 'info' | 'warning' | 'critical'
  enabled: boolean
  build(events$: Observable<Event>, t: RuleTools): Observable<Effect>
}

/** Any rule the engine runs. */
export type LoadedRule = CompiledRule | CodeRule

export function isCodeRule(rule: LoadedRule): rule is CodeRule {
  return 'build' in rule
}
