import { toMs } from '../core/duration.js'
import type { Problems } from './problems.js'
import type { RuleFile } from './schema.js'

/** What the schema cannot say: which keys go together. */
export function checkShape(def: RuleFile, p: Problems): void {
  const w = def.window
  if (def.kind === 'deadman') {
    if (def.silence === undefined) p.add('TG_RULE_SHAPE', [], 'a deadman rule needs "silence"')
    for (const k of ['window', 'aggregate', 'when', 'clear'] as const)
      if (def[k] !== undefined) p.add('TG_RULE_SHAPE', [k], `a deadman rule has no "${k}"`)
  } else {
    if (def.silence !== undefined) p.add('TG_RULE_SHAPE', ['silence'], '"silence" belongs to kind: deadman')
    if (def.expect !== undefined) p.add('TG_RULE_SHAPE', ['expect'], '"expect" belongs to kind: deadman')
    if (w && !def.aggregate) p.add('TG_RULE_SHAPE', ['window'], 'a window needs an "aggregate" section')
    if (def.aggregate && !w) p.add('TG_RULE_SHAPE', ['aggregate'], 'aggregates need a "window"')
  }
  const alerting = def.when !== undefined || def.kind === 'deadman'
  if (!alerting) {
    for (const k of ['clear', 'repeat'] as const)
      if (def[k] !== undefined) p.add('TG_RULE_SHAPE', [k], `"${k}" needs "when"`)
    if (toMs(def.for) > 0) p.add('TG_RULE_SHAPE', ['for'], '"for" needs "when"')
    if (toMs(def.clearFor) > 0) p.add('TG_RULE_SHAPE', ['clearFor'], '"clearFor" needs "when"')
  }
  if (!w) return
  const need = (key: 'size' | 'every' | 'gap') => {
    if (w[key] === undefined) p.add('TG_RULE_SHAPE', ['window'], `a ${w.kind} window needs "${key}"`)
    else if (toMs(w[key]) <= 0) p.add('TG_RULE_INVALID', ['window', key], 'must be more than 0')
  }
  if (w.kind === 'count') {
    if (typeof w.size !== 'number' || w.size < 1)
      p.add('TG_RULE_SHAPE', ['window', 'size'], 'a count window needs size: <number of events>')
  } else if (w.kind === 'session') need('gap')
  else need('size')
  if (w.kind === 'hopping') {
    need('every')
    if (w.every !== undefined && w.size !== undefined && toMs(w.every) > toMs(w.size))
      p.add('TG_RULE_SHAPE', ['window', 'every'], '"every" must not exceed "size"')
    else if (
      w.every !== undefined &&
      w.size !== undefined &&
      toMs(w.every) > 0 &&
      toMs(w.size) % toMs(w.every) !== 0
    )
      p.add('TG_RULE_SHAPE', ['window', 'every'], '"size" must be a multiple of "every"')
  }
  if (w.every !== undefined && w.kind !== 'hopping')
    p.add('TG_RULE_SHAPE', ['window', 'every'], 'only hopping windows have "every"')
  if (w.gap !== undefined && w.kind !== 'session')
    p.add('TG_RULE_SHAPE', ['window', 'gap'], 'only session windows have "gap"')
  if (w.timeout !== undefined && w.kind !== 'count')
    p.add('TG_RULE_SHAPE', ['window', 'timeout'], 'only count windows have "timeout"')
  if (toMs(w.lateness) > 0 && w.time !== 'event')
    p.add('TG_RULE_SHAPE', ['window', 'lateness'], '"lateness" needs time: event')
}
