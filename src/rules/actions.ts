import type { FieldValue, PointInput } from '../sinks/influx/line-protocol.js'
import { CommandGate } from './command-gate.js'
import { type AlertTransition, type RuleEffects, topicSafe } from './effects.js'
import type { CompiledAction, CompiledRule } from './plan.js'
import type { Trigger } from './schema.js'
import { lookup, renderDeep, type Scope } from './templates.js'

export interface ActionStats {
  commands: number
  /** Commands a shadow rule would have sent. */
  shadowed: number
  writes: number
  publishes: number
  alerts: number
}

/** Runs one rule's actions for a result or an alert transition. Shadow rules never command. */
export class ActionRunner {
  readonly stats: ActionStats = { commands: 0, shadowed: 0, writes: 0, publishes: 0, alerts: 0 }
  readonly gate: CommandGate
  /** Whether any action runs on plain results (else the runtime skips building their scope). */
  readonly hasResultActions: boolean

  constructor(
    private readonly rule: CompiledRule,
    private readonly effects: RuleEffects,
    private readonly fail: (part: string, key: string, err: unknown, at: number) => void,
  ) {
    this.gate = new CommandGate((c) => {
      this.stats.commands++
      effects.onCommand(c)
    })
    this.hasResultActions = rule.actions.some((a) => a.on.has('result'))
  }

  /** A new result (a closed window, or a matching event of a per-event rule). */
  onResult(scope: Scope, key: string, pointTime: number, now: number): void {
    if (!this.hasResultActions) return
    this.run('result', scope, key, pointTime, now)
  }

  /** An operator acknowledged a firing alert: the alert outputs hear of it; no other action runs. */
  onAcknowledged(t: AlertTransition): void {
    for (const a of this.rule.actions) if (a.kind === 'alert') this.effects.onAlertTransition(t)
  }

  onTransition(t: AlertTransition, scope: Scope, now: number): void {
    for (const a of this.rule.actions) {
      if (a.kind !== 'alert') continue
      this.stats.alerts++
      this.effects.onAlertTransition(t)
    }
    const trigger: Trigger | null =
      t.state === 'firing' ? (t.repeat > 0 ? 'repeat' : 'firing') : t.state === 'ok' ? null : t.state
    if (trigger) this.run(trigger, scope, t.key, t.at, now)
  }

  private run(trigger: Trigger, scope: Scope, key: string, time: number, now: number): void {
    const actions = this.rule.actions
    for (let i = 0; i < actions.length; i++) {
      const a = actions[i] as CompiledAction
      try {
        if (a.kind === 'command' && trigger === 'resolved' && a.onClear && !a.on.has('resolved'))
          this.command(a, a.onClear.name, a.onClear.params, scope, key, now)
        if (!a.on.has(trigger)) continue
        if (a.kind === 'command') this.command(a, a.name, a.params, scope, key, now)
        else if (a.kind === 'write') this.write(a, scope, key, time)
        else if (a.kind === 'publish') this.publish(a, scope)
      } catch (err) {
        this.fail(`action:${i}`, key, err, now)
      }
    }
  }

  private command(
    a: Extract<CompiledAction, { kind: 'command' }>,
    name: string,
    params: unknown,
    scope: Scope,
    key: string,
    now: number,
  ): void {
    const device = a.device.render(scope)
    if (!device) throw new Error(`command device "${a.device.source}" rendered empty`)
    if (this.rule.mode === 'shadow') {
      this.stats.shadowed++
      return
    }
    const rendered = renderDeep(params, scope) as Record<string, unknown>
    this.gate.offer(
      { device, name, params: rendered, source: `rule:${this.rule.id}`, rule: this.rule.id, key, at: now },
      a.minIntervalMs,
      now,
    )
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
    const shadow = this.rule.mode === 'shadow'
    const point: PointInput = {
      measurement: shadow ? `${a.measurement}_shadow` : a.measurement,
      tags,
      fields,
      time,
    }
    this.stats.writes++
    this.effects.onWrite({ rule: this.rule.id, mode: this.rule.mode, point })
  }

  private publish(a: Extract<CompiledAction, { kind: 'publish' }>, scope: Scope): void {
    const topic = a.topic.render(scope).split('/').map(topicSafe).join('/')
    const rendered = renderDeep(a.payload, scope)
    const payload = typeof rendered === 'string' ? rendered : JSON.stringify(rendered)
    this.stats.publishes++
    this.effects.onPublish({
      rule: this.rule.id,
      topic: this.rule.mode === 'shadow' ? `tidegate/shadow/${topic}` : topic,
      payload,
      qos: a.qos,
      retain: a.retain,
    })
  }
}
