import type { Environment } from '@marcbachmann/cel-js'
import { toMs } from '../core/duration.js'
import type { Event } from '../core/event.js'
import type { FileError } from '../core/file-errors.js'
import { checkAgainstSchema, createOperatorFileAjv } from '../core/schema-check.js'
import { parseYamlText, type YamlSource } from '../core/yaml-source.js'
import { mqttFilterMatches, validatePattern } from '../devices/topic-pattern.js'
import { type AggregateCall, parseAggregateCall } from './aggregates.js'
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
import { type ActionSpec, type RuleFile, RuleFileSchema, type Trigger } from './schema.js'
import { compileTemplate, templateErrorsIn } from './templates.js'
import type { WindowPlan } from './window-factory.js'

const validateRuleFile = createOperatorFileAjv().compile(RuleFileSchema)

type Path = (string | number)[]

/** Collects located errors for one file; the expression helpers point inside the expression text. */
class Problems {
  readonly errors: FileError[] = []
  private readonly lines: string[]

  constructor(
    private readonly source: YamlSource,
    text: string,
  ) {
    this.lines = text.split('\n')
  }

  /** `offset`: a position inside the expression text at `path` (CEL errors). */
  add(path: Path, message: string, offset?: number): void {
    let { line, col } = this.source.locate(path)
    if (offset !== undefined) {
      // A quoted scalar starts one character before its text.
      const quote = this.lines[line - 1]?.[col - 1]
      col += offset + (quote === '"' || quote === "'" ? 1 : 0)
    }
    this.errors.push({ file: this.source.file, line, col, path: `/${path.join('/')}`, message })
  }
}

/** Parses, validates and compiles one rule file. Every problem is reported, located file:line:col. */
export function compileRuleText(
  text: string,
  file: string,
): { rule: CompiledRule } | { errors: FileError[] } {
  const source = parseYamlText(text, file)
  if (source.errors.length) return { errors: source.errors }
  if (source.value === null || typeof source.value !== 'object' || Array.isArray(source.value)) {
    return { errors: [{ file, line: 1, col: 1, path: '/', message: 'a rule file is a mapping of keys' }] }
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
    if (name in RESULT_VARIABLES) p.add(['aggregate', name], `"${name}" is a built-in name; pick another`)
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
    p.add(path, compiled.message, compiled.offset)
    return null
  }
  const where = expr(eventEnv, ['where'], def.where)
  const keyOf = reader(eventEnv, ['key'], def.key, p) ?? (() => '')
  const aggregates: AggregateInput[] = []
  for (const [name, text] of Object.entries(def.aggregate ?? {})) {
    const call = parseAggregateCall(text)
    if (typeof call === 'string') {
      p.add(['aggregate', name], call)
      continue
    }
    const input =
      call.arg === null ? null : reader(eventEnv, ['aggregate', name], call.arg, p, call.argOffset)
    aggregates.push({ name, call, input })
  }
  const when = expr(resultEnv, ['when'], def.when)
  const clear = expr(resultEnv, ['clear'], def.clear)
  const window = def.window
    ? windowPlan(
        def,
        aggregates.map((a) => a.call),
      )
    : null
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
    window,
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
    p.add(path, (err as Error).message)
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
    p.add(path, compiled.message, offset + compiled.offset)
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

function windowPlan(def: RuleFile, calls: AggregateCall[]): WindowPlan {
  const w = def.window!
  const size = w.size === undefined ? 0 : toMs(w.size)
  return {
    kind: w.kind,
    eventTime: w.time === 'event',
    sizeMs: size,
    everyMs: w.kind === 'hopping' && w.every !== undefined ? toMs(w.every) : size,
    gapMs: w.gap === undefined ? 0 : toMs(w.gap),
    latenessMs: toMs(w.lateness),
    count: typeof w.size === 'number' ? w.size : 0,
    timeoutMs: w.timeout === undefined ? 0 : toMs(w.timeout),
    aggregates: calls,
  }
}

/** What the schema cannot say: which keys go together. */
function checkShape(def: RuleFile, p: Problems): void {
  const w = def.window
  if (def.kind === 'deadman') {
    if (def.silence === undefined) p.add([], 'a deadman rule needs "silence"')
    for (const k of ['window', 'aggregate', 'when', 'clear'] as const)
      if (def[k] !== undefined) p.add([k], `a deadman rule has no "${k}"`)
  } else {
    if (def.silence !== undefined) p.add(['silence'], '"silence" belongs to kind: deadman')
    if (def.expect !== undefined) p.add(['expect'], '"expect" belongs to kind: deadman')
    if (w && !def.aggregate) p.add(['window'], 'a window needs an "aggregate" section')
    if (def.aggregate && !w) p.add(['aggregate'], 'aggregates need a "window"')
  }
  const alerting = def.when !== undefined || def.kind === 'deadman'
  if (!alerting) {
    for (const k of ['clear', 'repeat'] as const) if (def[k] !== undefined) p.add([k], `"${k}" needs "when"`)
    if (toMs(def.for) > 0) p.add(['for'], '"for" needs "when"')
    if (toMs(def.clearFor) > 0) p.add(['clearFor'], '"clearFor" needs "when"')
  }
  if (!w) return
  const need = (key: 'size' | 'every' | 'gap') => {
    if (w[key] === undefined) p.add(['window'], `a ${w.kind} window needs "${key}"`)
    else if (toMs(w[key]) <= 0) p.add(['window', key], 'must be more than 0')
  }
  if (w.kind === 'count') {
    if (typeof w.size !== 'number' || w.size < 1)
      p.add(['window', 'size'], 'a count window needs size: <number of events>')
  } else if (w.kind === 'session') need('gap')
  else need('size')
  if (w.kind === 'hopping') {
    need('every')
    if (w.every !== undefined && w.size !== undefined && toMs(w.every) > toMs(w.size))
      p.add(['window', 'every'], '"every" must not exceed "size"')
    else if (
      w.every !== undefined &&
      w.size !== undefined &&
      toMs(w.every) > 0 &&
      toMs(w.size) % toMs(w.every) !== 0
    )
      p.add(['window', 'every'], '"size" must be a multiple of "every"')
  }
  if (w.every !== undefined && w.kind !== 'hopping')
    p.add(['window', 'every'], 'only hopping windows have "every"')
  if (w.gap !== undefined && w.kind !== 'session') p.add(['window', 'gap'], 'only session windows have "gap"')
  if (w.timeout !== undefined && w.kind !== 'count')
    p.add(['window', 'timeout'], 'only count windows have "timeout"')
  if (toMs(w.lateness) > 0 && w.time !== 'event')
    p.add(['window', 'lateness'], '"lateness" needs time: event')
}

function triggers(
  on: Trigger[] | undefined,
  fallback: Trigger[],
  alerting: boolean,
  p: Problems,
  path: Path,
) {
  const set = new Set(on ?? fallback)
  if (!alerting) for (const t of set) if (t !== 'result') p.add([...path, 'on'], `"${t}" needs "when"`)
  return set
}

function compileAction(
  action: ActionSpec,
  index: number,
  def: RuleFile,
  aggregateNames: string[],
  p: Problems,
): CompiledAction | null {
  const at: Path = ['actions', index]
  const alerting = def.when !== undefined || def.kind === 'deadman'
  for (const e of templateErrorsIn(action)) p.add([...at, ...e.path], e.message)
  if (action.alert) {
    if (!alerting) p.add([...at, 'alert'], 'an alert action needs "when" (or kind: deadman)')
    const m = action.alert.message
    return { kind: 'alert', message: m === undefined ? null : compileTemplate(m), on: new Set() }
  }
  if (action.command) {
    const c = action.command
    if (c.onClear && !alerting) p.add([...at, 'command', 'onClear'], '"onClear" needs "when"')
    return {
      kind: 'command',
      device: compileTemplate(c.device),
      name: c.name,
      params: c.params,
      on: triggers(c.on, alerting ? ['firing'] : ['result'], alerting, p, [...at, 'command']),
      onClear: c.onClear ? { name: c.onClear.name ?? c.name, params: c.onClear.params ?? c.params } : null,
      minIntervalMs: toMs(c.minInterval),
    }
  }
  if (action.write) {
    const w = action.write
    if (def.window)
      w.fields.forEach((f, i) => {
        if (!aggregateNames.includes(f))
          p.add([...at, 'write', 'fields', i], `"${f}" is not an aggregate of this rule`)
      })
    return {
      kind: 'write',
      measurement: w.measurement,
      fields: w.fields,
      tags: Object.entries(w.tags).map(
        ([k, v]) => [k, compileTemplate(v)] as [string, ReturnType<typeof compileTemplate>],
      ),
      on: triggers(w.on, ['result'], alerting, p, [...at, 'write']),
    }
  }
  if (action.publish) {
    const pub = action.publish
    const topicProblem = validatePattern(pub.topic.replace(/\{\{[^}]*\}\}/g, 'x'))
    if (topicProblem || /[+#]/.test(pub.topic))
      p.add([...at, 'publish', 'topic'], 'a publish topic has no wildcards')
    return {
      kind: 'publish',
      topic: compileTemplate(pub.topic),
      payload: pub.payload,
      qos: pub.qos,
      retain: pub.retain,
      on: triggers(pub.on, alerting ? ['firing', 'resolved'] : ['result'], alerting, p, [...at, 'publish']),
    }
  }
  return null
}
