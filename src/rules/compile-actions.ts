import { toMs } from '../core/duration.js'
import { validatePattern } from '../devices/topic-pattern.js'
import type { CompiledAction } from './plan.js'
import type { Path, Problems } from './problems.js'
import type { ActionSpec, RuleFile, Trigger } from './schema.js'
import { compileDeep, compileTemplate, templateErrorsIn } from './templates.js'

function triggers(
  on: Trigger[] | undefined,
  fallback: Trigger[],
  alerting: boolean,
  p: Problems,
  path: Path,
) {
  const set = new Set(on ?? fallback)
  if (!alerting)
    for (const t of set) if (t !== 'result') p.add('TG_RULE_SHAPE', [...path, 'on'], `"${t}" needs "when"`)
  return set
}

export function compileAction(
  action: ActionSpec,
  index: number,
  def: RuleFile,
  aggregateNames: string[],
  p: Problems,
): CompiledAction | null {
  const at: Path = ['actions', index]
  const alerting = def.when !== undefined || def.kind === 'deadman'
  for (const e of templateErrorsIn(action)) p.add('TG_RULE_TEMPLATE', [...at, ...e.path], e.message)
  if (action.alert) {
    if (!alerting) p.add('TG_RULE_SHAPE', [...at, 'alert'], 'an alert action needs "when" (or kind: deadman)')
    const m = action.alert.message
    return { kind: 'alert', message: m === undefined ? null : compileTemplate(m), on: new Set() }
  }
  if (action.command) {
    const c = action.command
    if (c.onClear && !alerting)
      p.add('TG_RULE_SHAPE', [...at, 'command', 'onClear'], '"onClear" needs "when"')
    return {
      kind: 'command',
      device: compileTemplate(c.device),
      name: c.name,
      params: compileDeep(c.params),
      on: triggers(c.on, alerting ? ['firing'] : ['result'], alerting, p, [...at, 'command']),
      onClear: c.onClear
        ? { name: c.onClear.name ?? c.name, params: compileDeep(c.onClear.params ?? c.params) }
        : null,
      minIntervalMs: toMs(c.minInterval),
    }
  }
  if (action.write) {
    const w = action.write
    if (def.window)
      w.fields.forEach((f, i) => {
        if (!aggregateNames.includes(f))
          p.add('TG_RULE_SHAPE', [...at, 'write', 'fields', i], `"${f}" is not an aggregate of this rule`)
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
      p.add('TG_RULE_INVALID', [...at, 'publish', 'topic'], 'a publish topic has no wildcards')
    return {
      kind: 'publish',
      topic: compileTemplate(pub.topic),
      payload: compileDeep(pub.payload),
      qos: pub.qos,
      retain: pub.retain,
      on: triggers(pub.on, alerting ? ['firing', 'resolved'] : ['result'], alerting, p, [...at, 'publish']),
    }
  }
  return null
}
