import type { Event } from '../core/event.js'
import type { RuleEffects } from './effects.js'
import type { CompiledRule } from './plan.js'
import { type AcknowledgeResult, RuleRuntime } from './runtime.js'
import { eventContext } from './scopes.js'

export interface RuleEngineOptions {
  effects: RuleEffects
  /** Processing time when `push`/`advanceTo` are not given one (default Date.now). Inject for virtual time. */
  clock?: () => number
}

export interface RuleSetChange {
  added: string[]
  changed: string[]
  removed: string[]
  unchanged: string[]
}

/**
 * The rule engine core, usable without the gateway (replay, tests, bench): compiled rules in,
 * effects out through injected handlers, time only from the caller.
 *
 *   const engine = new RuleEngine({ effects, clock: () => virtualNow })
 *   engine.setRules(rules)
 *   engine.push(event)          // or push(event, processingTime)
 *   engine.advanceTo(t)         // closes windows, completes for/clearFor/repeat, deadman, queued commands
 */
export class RuleEngine {
  private runtimes = new Map<string, RuleRuntime>()
  private list: RuleRuntime[] = []
  private readonly clock: () => number
  private readonly effects: RuleEffects
  private lastNow = Number.NEGATIVE_INFINITY

  constructor(options: RuleEngineOptions) {
    this.effects = options.effects
    this.clock = options.clock ?? Date.now
  }

  /**
   * Installs a rule set. Rules whose checked definition is unchanged keep their windows and alert
   * state; changed and removed rules resolve their firing alerts first; changed and new rules start fresh.
   */
  setRules(rules: readonly CompiledRule[], now = this.clock()): RuleSetChange {
    const change: RuleSetChange = { added: [], changed: [], removed: [], unchanged: [] }
    const next = new Map<string, RuleRuntime>()
    for (const rule of rules) {
      if (!rule.definition.enabled) continue
      const old = this.runtimes.get(rule.id)
      if (old && old.rule.fingerprint === rule.fingerprint) {
        next.set(rule.id, old)
        change.unchanged.push(rule.id)
        continue
      }
      if (old) {
        old.retire(now)
        change.changed.push(rule.id)
      } else change.added.push(rule.id)
      const runtime = new RuleRuntime(rule, this.effects)
      runtime.install(now)
      next.set(rule.id, runtime)
    }
    for (const [id, old] of this.runtimes) {
      if (next.has(id)) continue
      old.retire(now)
      change.removed.push(id)
    }
    this.runtimes = next
    this.list = [...next.values()]
    return change
  }

  /** One event through every rule; `now` is the processing time (default: the clock). */
  push(event: Event, now = this.clock()): void {
    if (now > this.lastNow) this.lastNow = now
    const list = this.list
    const ctx = eventContext(event)
    for (let i = 0; i < list.length; i++) (list[i] as RuleRuntime).push(event, now, ctx)
  }

  /** Lets time pass: window closes, for/clearFor/repeat, deadman silence, deferred commands. */
  advanceTo(now = this.clock()): void {
    if (now > this.lastNow) this.lastNow = now
    for (const r of this.list) r.tick(now)
  }

  /** Resolves every firing alert (gateway stop is not a resolution, so only on explicit shutdown of rules). */
  clear(now = this.clock()): void {
    this.setRules([], now)
  }

  /** An operator acknowledges the firing alert (rule, key); see RuleRuntime.acknowledge. */
  acknowledge(rule: string, key: string, by: string, now = this.clock()): AcknowledgeResult {
    const runtime = this.runtimes.get(rule)
    if (!runtime) return { ok: false, reason: `no rule "${rule}"` }
    return runtime.acknowledge(key, by, now)
  }

  rule(id: string): RuleRuntime | undefined {
    return this.runtimes.get(id)
  }

  get rules(): readonly RuleRuntime[] {
    return this.list
  }

  /** Per-rule counters for metrics and /status. */
  stats(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {}
    for (const r of this.list) {
      out[r.rule.id] = {
        ...r.stats,
        ...r.actions.stats,
        commandsDeferred: r.actions.gate.deferred,
        commandsReplaced: r.actions.gate.replaced,
        openWindows: r.openWindows(),
        firing: r.firingKeys().length,
      }
    }
    return out
  }
}
