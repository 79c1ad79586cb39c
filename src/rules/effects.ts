import type { DeadLetter } from '../core/dead-letter.js'
import type { PointInput } from '../sinks/influx/line-protocol.js'
import type { TransitionState } from './alert-machine.js'

/**
 * What the rule engine asks the world to do. The engine never touches the broker, InfluxDB or the
 * command dispatcher itself: the gateway wires these handlers to them (`gateway-effects.ts`), the
 * replay tool and the tests wire them to recorders.
 */

export interface AlertTransition {
  rule: string
  key: string
  state: TransitionState
  previous: TransitionState
  severity: 'info' | 'warning' | 'critical'
  message: string
  /** The aggregate (or event) values that led to it. */
  values: Record<string, unknown>
  /** When the alert was raised (ms). */
  since: number
  /** When this transition happened (ms). */
  at: number
  /** 0 for a state change; n for the n-th re-notification while firing. */
  repeat: number
  mode: 'live' | 'shadow'
  device?: string
  /** Who acknowledged the firing alert and when (ms); only on the transition the acknowledgement makes. */
  acknowledged?: { by: string; at: number }
  /**
   * In a cluster: what caused it (the partition stream entry of the event, or the timer), so a transition
   * announced again after a takeover carries the same id (docs/cluster.md). Written as `transition_id`.
   */
  id?: string
}

export interface RuleCommand {
  device: string
  name: string
  params: Record<string, unknown>
  /** `rule:<id>`. */
  source: string
  rule: string
  key: string
  at: number
}

export interface DerivedPoint {
  rule: string
  mode: 'live' | 'shadow'
  point: PointInput
}

export interface RulePublish {
  rule: string
  topic: string
  payload: string
  qos: 0 | 1
  retain: boolean
}

export interface RuleError {
  rule: string
  /** Which part failed: where, key, aggregate:<name>, when, clear, action:<i>. */
  part: string
  key?: string
  message: string
  at: number
}

export interface RuleEffects {
  onAlertTransition(t: AlertTransition): void
  onCommand(c: RuleCommand): void
  onWrite(p: DerivedPoint): void
  onPublish(m: RulePublish): void
  onDeadLetter(d: DeadLetter): void
  /** Runtime expression errors: counted per rule by the engine, reported here (rate-limit the log). */
  onError?(e: RuleError): void
}

/** Topic levels from keys must not split or widen a topic. */
export function topicSafe(s: string): string {
  return s.replace(/[/+#]/g, '_') || '_'
}

/** `alerts/<rule>/<key>`, or `tidegate/shadow/alerts/<rule>/<key>` for shadow rules. */
export function alertTopic(t: Pick<AlertTransition, 'rule' | 'key' | 'mode'>): string {
  const base = `alerts/${topicSafe(t.rule)}/${topicSafe(t.key)}`
  return t.mode === 'shadow' ? `tidegate/shadow/${base}` : base
}

/** The InfluxDB point of a transition: measurement `alerts` (`alerts_shadow`), numeric values as fields. */
export function alertPoint(t: AlertTransition): PointInput {
  const fields: PointInput['fields'] = {
    state: t.state,
    previous: t.previous,
    message: t.message,
    repeat: t.repeat,
    since: t.since,
  }
  if (t.acknowledged) {
    fields.acknowledged_by = t.acknowledged.by
    fields.acknowledged_at = t.acknowledged.at
  }
  if (t.id !== undefined) fields.transition_id = t.id
  for (const [k, v] of Object.entries(t.values)) {
    if ((typeof v === 'number' || typeof v === 'boolean') && !(k in fields)) fields[`value_${k}`] = v
  }
  return {
    measurement: t.mode === 'shadow' ? 'alerts_shadow' : 'alerts',
    tags: { rule: t.rule, key: t.key, severity: t.severity, ...(t.device ? { device: t.device } : {}) },
    fields,
    time: t.at,
    integerFields: INTEGER_ALERT_FIELDS,
  }
}

const INTEGER_ALERT_FIELDS: ReadonlySet<string> = new Set(['repeat', 'since', 'acknowledged_at'])
