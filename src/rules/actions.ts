import type { FieldValue } from '../sinks/influx/line-protocol.js'
import { type AlertTransition, topicSafe } from './effects.js'
import type { Effect } from './operators/effects.js'
import type { CompiledAction, CompiledRule } from './plan.js'
import type { Trigger } from './schema.js'
import { type DeepTemplate, lookup, type Scope } from './templates.js'

/**
 * A rule file's `actions` as effect values, for a result or an alert transition. The effect router
 * (effect-router.ts) then does what every rule's effects get: shadow mode, command intervals, metrics.
 */
export class ActionRunner {
  /** Whether any action runs on plain results (else the pipeline skips building their scope). */
  readonly hasResultActions: boolean

  constructor(
    private readonly rule: CompiledRule,
    private readonly emit: (effect: Effect) => void,
    private readonly fail: (part: string, key: string, err: unknown) => void,
  ) {
    this.hasResultActions = rule.actions.some((a) => a.on.has('result'))
  }

  /** A new result (a closed window, or a matching event of a per-event rule). */
  onResult(scope: Scope, key: string, pointTime: number): void {
    if (!this.hasResultActions) return
    this.run('result', scope, key, pointTime)
  }

  onTransition(t: AlertTransition, scope: Scope): void {
    for (const a of this.rule.actions) if (a.kind === 'alert') this.emit({ alert: t })
    // An acknowledgement is published, but it is not a trigger: nothing is re-sent.
    const trigger: Trigger | null = t.acknowledged
      ? null
      : t.state === 'firing'
        ? t.repeat > 0
          ? 'repeat'
          : 'firing'
        : t.state === 'ok'
          ? null
          : t.state
    if (trigger) this.run(trigger, scope, t.key, t.at)
  }

  private run(trigger: Trigger, scope: Scope, key: string, time: number): void {
    const actions = this.rule.actions
    for (let i = 0; i < actions.length; i++) {
      const a = actions[i] as CompiledAction
      try {
        if (a.kind === 'command' && trigger === 'resolved' && a.onClear && !a.on.has('resolved'))
          this.command(a, a.onClear.name, a.onClear.params, scope, key)
        if (!a.on.has(trigger)) continue
        if (a.kind === 'command') this.command(a, a.name, a.params, scope, key)
        else if (a.kind === 'write') this.write(a, scope, key, time)
        else if (a.kind === 'publish') this.publish(a, scope)
      } catch (err) {
        this.fail(`action:${i}`, key, err)
      }
    }
  }

  private command(
    a: Extract<CompiledAction, { kind: 'command' }>,
    name: string,
    params: DeepTemplate,
    scope: Scope,
    key: string,
  ): void {
    const device = a.device.render(scope)
    if (!device) throw new Error(`command device "${a.device.source}" rendered empty`)
    const rendered = params(scope) as Record<string, unknown>
    this.emit({ command: { device, name, params: rendered, minInterval: a.minIntervalMs, key } })
  }

  private write(
    a: Extract<CompiledAction, { kind: 'write' }>,
    scope: Scope,
    key: string,
    time: number,
  ): void {
    const fields: Record<string, FieldValue> = {}
    for (const f of a.fields) {
      const v = lookup(scope, f.split('.'))
      if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') fields[f] = v
    }
    const tags: Record<string, string> = { rule: this.rule.id, key }
    for (const [k, t] of a.tags) tags[k] = t.render(scope)
    this.emit({ write: { measurement: a.measurement, tags, fields, time } })
  }

  private publish(a: Extract<CompiledAction, { kind: 'publish' }>, scope: Scope): void {
    const topic = safeTopicLevels(a.topic.render(scope))
    const rendered = a.payload(scope)
    const payload = typeof rendered === 'string' ? rendered : JSON.stringify(rendered)
    this.emit({ publish: { topic, payload, qos: a.qos, retain: a.retain } })
  }
}

/** What could make a rendered topic other than its levels as they are: a wildcard, or an empty level. */
const UNSAFE_TOPIC = /[+#]|\/\/|^\/|\/$|^$/

/** Each level of a rendered topic made safe (topicSafe); most topics need nothing and are returned as they are. */
export function safeTopicLevels(topic: string): string {
  return UNSAFE_TOPIC.test(topic) ? topic.split('/').map(topicSafe).join('/') : topic
}
