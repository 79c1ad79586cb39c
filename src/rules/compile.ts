import type { Environment } from '@marcbachmann/cel-js'
import { toMs } from '../core/duration.js'
import { RULE_FILE } from '../core/error-codes.js'
import type { Event } from '../core/event.js'
import type { FileError } from '../core/file-errors.js'
import { checkAgainstSchema, createOperatorFileAjv } from '../core/schema-check.js'
import { parseYamlText } from '../core/yaml-source.js'
import { mqttFilterMatches } from '../devices/topic-pattern.js'
import { parseAggregateCall } from './aggregates.js'
import { checkShape } from './check-shape.js'
import { compileAction } from './compile-actions.js'
import {
  type ChangeScope,
  type CompiledExpression,
  compileExpression,
  createEnvironment,
  EVENT_VARIABLES,
  isExpressionError,
  RESULT_VARIABLES,
  simplePath,
  toPlain,
} from './expressions.js'
import type { AggregateInput, CompiledAction, CompiledRule, ValueReader } from './plan.js'
import { type Path, Problems } from './problems.js'
import { type RuleFile, RuleFileSchema } from './schema.js'

const validateRuleFile = createOperatorFileAjv().compile(RuleFileSchema)

/** Parses, validates and compiles one rule file. Every problem is reported, located file:line:col. */
export function compileRuleText(
  text: string,
  file: string,
): { rule: CompiledRule } | { errors: FileError[] } {
  const source = parseYamlText(text, file, RULE_FILE)
  if (source.errors.length) return { errors: source.errors }
  if (source.value === null || typeof source.value !== 'object' || Array.isArray(source.value)) {
    const message = 'a rule file is a mapping of keys'
    return { errors: [{ file, line: 1, col: 1, code: 'TG_RULE_PARSE', path: '/', message }] }
  }
  const schemaErrors = checkAgainstSchema(source, validateRuleFile)
  if (schemaErrors.length) return { errors: schemaErrors }
  const def = source.value as RuleFile
  const p = new Problems(source, text)
  const rule = compileDefinition(def, file, p)
  return p.errors.length || !rule ? { errors: p.errors } : { rule }
}

function compileDefinition(def: RuleFile, file: string, p: Problems): CompiledRule | null {
  const scope: ChangeScope = { current: {}, prev: null }
  const aggregateNames = Object.keys(def.aggregate ?? {})
  for (const name of aggregateNames) {
    if (name in RESULT_VARIABLES)
      p.add('TG_RULE_INVALID', ['aggregate', name], `"${name}" is a built-in name; pick another`)
  }
  const eventEnv = environment(EVENT_VARIABLES, scope, p, [])
  const resultVars: Record<string, string> = { ...RESULT_VARIABLES }
  for (const n of aggregateNames) resultVars[n] = 'dyn'
  const resultEnv = def.window ? environment(resultVars, scope, p, ['aggregate']) : eventEnv
  if (!eventEnv || !resultEnv) return null

  checkShape(def, p)
  const expr = (env: Environment, path: Path, text: string | undefined, expect: string[] = ['bool']) => {
    if (text === undefined) return null
    const compiled = compileExpression(env, text, expect)
    if (!isExpressionError(compiled)) return compiled
    p.add('TG_RULE_EXPRESSION', path, compiled.message, compiled.offset)
    return null
  }
  const where = expr(eventEnv, ['where'], def.where)
  const keyOf = reader(eventEnv, ['key'], def.key, p) ?? (() => '')
  const aggregates: AggregateInput[] = []
  for (const [name, text] of Object.entries(def.aggregate ?? {})) {
    const call = parseAggregateCall(text)
    if (typeof call === 'string') {
      p.add('TG_RULE_EXPRESSION', ['aggregate', name], call)
      continue
    }
    const input =
      call.arg === null ? null : reader(eventEnv, ['aggregate', name], call.arg, p, call.argOffset)
    aggregates.push({ name, call, input })
  }
  const when = expr(resultEnv, ['when'], def.when)
  const clear = expr(resultEnv, ['clear'], def.clear)
  const actions = def.actions.map((a, i) => compileAction(a, i, def, aggregateNames, p))
  return {
    id: def.id,
    file,
    fingerprint: JSON.stringify(def),
    definition: def,
    mode: def.mode,
    kind: def.kind,
    severity: def.severity,
    matches: fromMatcher(def.from),
    where,
    keyOf,
    window: def.window ?? null,
    aggregates,
    when,
    clear,
    timing: {
      forMs: toMs(def.for),
      clearForMs: toMs(def.clearFor),
      repeatMs: def.repeat ? toMs(def.repeat) : 0,
    },
    eventTime: def.window?.time === 'event',
    silenceMs: def.silence ? toMs(def.silence) : 0,
    expect: def.expect ?? [],
    actions: actions.filter((a): a is CompiledAction => a !== null),
    scope,
  }
}

function environment(
  vars: Record<string, string>,
  scope: ChangeScope,
  p: Problems,
  path: Path,
): Environment | null {
  try {
    return createEnvironment(vars, scope)
  } catch (err) {
    p.add('TG_RULE_EXPRESSION', path, (err as Error).message)
    return null
  }
}

/** `data.x`, `tags.zone`, `device` read directly; anything else is a CEL expression. */
function reader(env: Environment, path: Path, text: string, p: Problems, offset = 0): ValueReader | null {
  const simple = simplePath(text)
  if (simple && simple.root in EVENT_VARIABLES) {
    const { root, field } = simple
    if (field === null) return (ctx) => ctx[root]
    return (ctx) => (ctx[root] as Record<string, unknown> | undefined)?.[field]
  }
  const compiled = compileExpression(env, text)
  if (isExpressionError(compiled)) {
    p.add('TG_RULE_EXPRESSION', path, compiled.message, offset + compiled.offset)
    return null
  }
  const fn: CompiledExpression = compiled
  return (ctx) => toPlain(fn(ctx))
}

function fromMatcher(from: RuleFile['from']): (event: Event) => boolean {
  const devices =
    from.device === undefined ? null : new Set(Array.isArray(from.device) ? from.device : [from.device])
  const { type, topic, stream } = from
  return (e) =>
    (stream === '*' || e.stream === stream) &&
    (type === undefined || e.type === type) &&
    (devices === null || devices.has(e.device)) &&
    (topic === undefined || mqttFilterMatches(topic, e.topic))
}
