import type { SchedulerLike, Subscription } from 'rxjs'
import type { PointInput } from '../sinks/influx/line-protocol.js'
import type { TransitionState } from './alert-machine.js'
import { CommandGate } from './command-gate.js'
import { type AlertTransition, type RuleEffects, topicSafe } from './effects.js'
import type { AlertSpec, Effect } from './operators/effects.js'
import { everyTick } from './operators/scheduler.js'

/** What one rule's effects did: per-rule metrics and the status page. */
export interface EffectStats {
  alerts: number
  commands: number
  /** Commands a shadow rule would have sent. */
  shadowed: number
  writes: number
  publishes: number
  /** Values a code rule emitted that are not effects (counted as errors too). */
  invalid: number
}

export interface RuleIdentity {
  id: string
  mode: 'live' | 'shadow'
  severity: 'info' | 'warning' | 'critical'
}

const DEFAULT_MIN_INTERVAL_MS = 10_000

/**
 * The one path every rule's effects take (YAML and code alike): shadow mode (alerts and points to the
 * shadow topic/measurements, commands counted, never sent), the per-target command interval, and the
 * gateway's handlers (alert topic + measurement, command dispatcher, outbox, broker).
 */
export class EffectRouter {
  readonly stats: EffectStats = { alerts: 0, commands: 0, shadowed: 0, writes: 0, publishes: 0, invalid: 0 }
  readonly gate: CommandGate
  /** Last published state per key, for code rules' alerts that do not say `previous`. */
  private readonly lastState = new Map<string, TransitionState>()
  private readonly ticks: Subscription

  constructor(
    private readonly rule: RuleIdentity,
    private readonly effects: RuleEffects,
    private readonly scheduler: SchedulerLike,
    tickMs: number,
    /** While true effects are dropped before anything (a cluster replay of events already handled). */
    private readonly muted: () => boolean = () => false,
  ) {
    this.gate = new CommandGate((c) => {
      this.stats.commands++
      effects.onCommand(c)
    })
    this.ticks = everyTick(scheduler, tickMs, (now) => this.gate.tick(now))
  }

  /** Routes one effect; throws on a value that is not one (the caller counts it). */
  route(effect: Effect): void {
    // Before the command gate too: a command held back now would otherwise go out once due.
    if (this.muted()) return
    const now = this.scheduler.now()
    const rule = this.rule
    if ('alert' in effect) {
      this.stats.alerts++
      this.effects.onAlertTransition(this.transition(effect.alert, now))
    } else if ('command' in effect) {
      const c = effect.command
      if (rule.mode === 'shadow') {
        this.stats.shadowed++
        return
      }
      const command = {
        device: c.device,
        name: c.name,
        params: c.params ?? {},
        source: `rule:${rule.id}`,
        rule: rule.id,
        key: c.key ?? c.device,
        at: now,
      }
      this.gate.offer(command, c.minInterval ?? DEFAULT_MIN_INTERVAL_MS, now)
    } else if ('write' in effect) {
      const w = effect.write
      const point: PointInput = {
        measurement: rule.mode === 'shadow' ? `${w.measurement}_shadow` : w.measurement,
        tags: { rule: rule.id, ...w.tags },
        fields: w.fields,
        time: w.time ?? now,
      }
      this.stats.writes++
      this.effects.onWrite({ rule: rule.id, mode: rule.mode, point })
    } else if ('publish' in effect) {
      const p = effect.publish
      const topic = p.topic.split('/').map(topicSafe).join('/')
      this.stats.publishes++
      this.effects.onPublish({
        rule: rule.id,
        topic: rule.mode === 'shadow' ? `tidegate/shadow/${topic}` : topic,
        payload: typeof p.payload === 'string' ? p.payload : JSON.stringify(p.payload),
        qos: p.qos ?? 1,
        retain: p.retain ?? false,
      })
    } else {
      this.stats.invalid++
      throw new TypeError(`not an effect: ${JSON.stringify(effect)?.slice(0, 200)}`)
    }
  }

  stop(): void {
    this.ticks.unsubscribe()
  }

  /** A full transition from a (possibly partial) alert spec; YAML rules give full ones. */
  private transition(a: AlertSpec & Partial<AlertTransition>, now: number): AlertTransition {
    const rule = this.rule
    const at = a.at ?? now
    const previous = a.previous ?? this.lastState.get(a.key) ?? 'ok'
    this.lastState.set(a.key, a.state)
    const t: AlertTransition = {
      rule: rule.id,
      key: a.key,
      state: a.state,
      previous,
      severity: a.severity ?? rule.severity,
      message: a.message ?? `${rule.id} ${a.state} for ${a.key}`,
      values: a.values ?? {},
      since: a.since ?? at,
      at,
      repeat: a.repeat ?? 0,
      mode: rule.mode,
    }
    if (a.device !== undefined) t.device = a.device
    if (a.acknowledged !== undefined) t.acknowledged = a.acknowledged
    return t
  }
}
