import type { Event } from '../core/event.js'
import { ActionRunner } from './actions.js'
import { AlertMachine, type Transition } from './alert-machine.js'
import type { AlertTransition, RuleEffects } from './effects.js'
import { createWindower, type Windower, type WindowResult } from './operators/window/factory.js'
import type { CompiledRule } from './plan.js'
import { alertMessage, EMPTY, eventContext, resultScope } from './scopes.js'

export type AcknowledgeResult = { ok: true } | { ok: false; reason: string }

export interface RuleStats {
  matched: number
  results: number
  late: number
  errors: number
  transitions: number
}

/** What the rule remembers per key between results: `prev`, and what a transition reports. */
interface KeyMemory {
  values: Record<string, unknown>
  device: string
  tags: Record<string, string>
}

/**
 * One rule running: filter → key → window/aggregate → condition → alert machine → actions.
 * Synchronous and clock-free: callers pass the processing time (`now`) with every call.
 */
export class RuleRuntime {
  readonly stats: RuleStats = { matched: 0, results: 0, late: 0, errors: 0, transitions: 0 }
  readonly actions: ActionRunner
  private readonly machines = new Map<string, AlertMachine>()
  private readonly memory = new Map<string, KeyMemory>()
  /** deadman: processing time each key was last heard. */
  private readonly lastSeen = new Map<string, number>()
  private readonly windower: Windower | null
  private now = 0

  constructor(
    readonly rule: CompiledRule,
    private readonly effects: RuleEffects,
  ) {
    this.actions = new ActionRunner(rule, effects, (part, key, err, at) => this.fail(part, key, err, at))
    this.windower = rule.window
      ? createWindower(rule.window, {
          emit: (r) => this.onWindow(r),
          late: (event, key, watermark) => this.onLate(event as Event, key, watermark),
        })
      : null
  }

  /** Called once when the rule is installed: deadman `expect` keys start their silence now. */
  install(now: number): void {
    for (const key of this.rule.expect) if (!this.lastSeen.has(key)) this.lastSeen.set(key, now)
  }

  /**
   * One event. `ctx` is the event's CEL context (`eventContext`); the engine builds it once per event
   * and every rule reuses it (each sets its own `key` and `prev`).
   */
  push(event: Event, now: number, ctx: Record<string, unknown> = eventContext(event)): void {
    const rule = this.rule
    if (!rule.matches(event)) return
    this.now = now
    ctx.prev = EMPTY
    ctx.key = ''
    if (rule.where !== null) {
      try {
        if (rule.where(ctx) !== true) return
      } catch (err) {
        this.fail('where', '', err, now)
        return
      }
    }
    let key: string
    try {
      key = String(rule.keyOf(ctx) ?? '')
    } catch (err) {
      this.fail('key', '', err, now)
      return
    }
    ctx.key = key
    this.stats.matched++
    if (rule.kind === 'deadman') return this.heard(key, event, now)
    if (this.windower) {
      this.windower.add(key, event.time, now, this.inputs(ctx, key, now), event)
      return
    }
    const mem = this.memory.get(key)
    ctx.prev = mem?.values ?? EMPTY
    this.evaluate(key, event.data, ctx, event.device, event.tags, now, event.time)
  }

  /** The aggregate inputs of one event; a failing input counts as an error and reads as missing. */
  private inputs(ctx: Record<string, unknown>, key: string, now: number): unknown[] {
    const aggregates = this.rule.aggregates
    const out: unknown[] = []
    for (let i = 0; i < aggregates.length; i++) {
      const input = (aggregates[i] as (typeof aggregates)[number]).input
      if (input === null) {
        out.push(true)
        continue
      }
      try {
        out.push(input(ctx))
      } catch (err) {
        this.fail(`aggregate:${aggregates[i]?.name}`, key, err, now)
        out.push(undefined)
      }
    }
    return out
  }

  tick(now: number): void {
    this.now = now
    this.windower?.tick(now)
    if (this.rule.kind === 'deadman') this.checkSilence(now)
    else if (!this.rule.eventTime) {
      for (const [key, machine] of this.machines) this.publish(key, machine.tick(now), now)
    }
    this.actions.gate.tick(now)
  }

  /** The rule is going away (removed or changed): resolve what it has firing. */
  retire(now: number): void {
    for (const [key, machine] of this.machines) this.publish(key, machine.forceResolve(now), now)
  }

  /**
   * An operator acknowledges the firing alert of `key`: published like a transition (retained alert,
   * InfluxDB) with `acknowledged`, no actions run, and repeats stop until it resolves.
   */
  acknowledge(key: string, by: string, now: number): AcknowledgeResult {
    const machine = this.machines.get(key)
    if (machine?.state !== 'firing') return { ok: false, reason: 'not firing' }
    const transitions = machine.acknowledge(by, now)
    if (transitions.length === 0)
      return { ok: false, reason: `already acknowledged by ${machine.acknowledged?.by}` }
    this.publish(key, transitions, now)
    return { ok: true }
  }

  firingKeys(): string[] {
    return [...this.machines].filter(([, m]) => m.state === 'firing').map(([k]) => k)
  }

  openWindows(): number {
    return this.windower?.openWindows() ?? 0
  }

  private onWindow(r: WindowResult): void {
    const mem = this.memory.get(r.key)
    // Built by assignment, not spread: spreading a dynamically keyed object is a slow path in V8.
    const ctx: Record<string, unknown> = {
      device: (r.last as Event).device,
      key: r.key,
      tags: (r.last as Event).tags,
      prev: mem?.values ?? EMPTY,
      window: { start: r.start, end: r.end, count: r.count },
      time: r.end,
    }
    const values: Record<string, unknown> = {}
    const aggregates = this.rule.aggregates
    for (let i = 0; i < aggregates.length; i++) {
      const name = (aggregates[i] as { name: string }).name
      values[name] = r.values[i]
      ctx[name] = r.values[i]
    }
    const at = this.rule.eventTime ? r.end : this.now
    this.evaluate(r.key, values, ctx, (r.last as Event).device, (r.last as Event).tags, at, r.start)
  }

  private evaluate(
    key: string,
    values: Record<string, unknown>,
    ctx: Record<string, unknown>,
    device: string,
    tags: Record<string, string>,
    at: number,
    pointTime: number,
  ): void {
    const rule = this.rule
    const mem = this.memory.get(key)
    rule.scope.current = values
    rule.scope.prev = mem?.values ?? null
    this.stats.results++
    let transitions: Transition[] = []
    if (rule.when !== null) {
      const raise = this.test('when', key, () => rule.when!(ctx))
      const clear = rule.clear === null ? !raise : this.test('clear', key, () => rule.clear!(ctx))
      transitions = this.machine(key).evaluate(raise, clear, at)
    }
    if (mem) {
      mem.values = values
      mem.device = device
      mem.tags = tags
    } else this.memory.set(key, { values, device, tags })
    if (this.actions.hasResultActions)
      this.actions.onResult(resultScope(this.rule, key, values, device, tags, ctx), key, pointTime, this.now)
    this.publish(key, transitions, this.now)
  }

  private heard(key: string, event: Event, now: number): void {
    this.lastSeen.set(key, now)
    const mem = this.memory.get(key)
    if (mem) {
      mem.device = event.device
      mem.tags = event.tags
    } else this.memory.set(key, { values: { lastSeen: now }, device: event.device, tags: event.tags })
    const machine = this.machines.get(key)
    if (machine && machine.state !== 'ok') {
      const values = { lastSeen: now, silentFor: 0 }
      ;(mem ?? (this.memory.get(key) as KeyMemory)).values = values
      this.publish(key, machine.evaluate(false, true, now), now)
    }
  }

  private checkSilence(now: number): void {
    const silence = this.rule.silenceMs
    for (const [key, seen] of this.lastSeen) {
      const silent = now - seen >= silence
      const machine = this.machine(key)
      if (!silent && machine.state === 'ok') continue
      const values = { lastSeen: seen, silentFor: now - seen }
      const mem = this.memory.get(key)
      this.memory.set(key, { values, device: mem?.device ?? key, tags: mem?.tags ?? {} })
      this.publish(key, machine.evaluate(silent, !silent, silent ? seen + silence : now), now)
      this.publish(key, machine.tick(now), now)
    }
  }

  private machine(key: string): AlertMachine {
    let m = this.machines.get(key)
    if (!m) {
      m = new AlertMachine(this.rule.timing)
      this.machines.set(key, m)
    }
    return m
  }

  private publish(key: string, transitions: Transition[], now: number): void {
    if (transitions.length === 0) return
    const mem = this.memory.get(key)
    const values = mem?.values ?? {}
    const device = mem?.device ?? key
    const tags = mem?.tags ?? {}
    for (const tr of transitions) {
      this.stats.transitions++
      const scope = resultScope(this.rule, key, values, device, tags, null)
      scope.state = tr.state
      const t: AlertTransition = {
        rule: this.rule.id,
        key,
        state: tr.state,
        previous: tr.previous,
        severity: this.rule.severity,
        message: '',
        values,
        since: tr.since,
        at: tr.at,
        repeat: tr.repeat,
        mode: this.rule.mode,
        device,
      }
      if (tr.acknowledged) t.acknowledged = tr.acknowledged
      t.message = alertMessage(this.rule, scope, t)
      scope.message = t.message
      // An acknowledgement is news about the alert, not a new state: no action runs for it.
      if (tr.acknowledged && tr.state === 'firing') this.actions.onAcknowledged(t)
      else this.actions.onTransition(t, scope, now)
    }
  }

  private onLate(event: Event, key: string, watermark: number): void {
    this.stats.late++
    this.effects.onDeadLetter({
      reason: 'late',
      topic: event.topic,
      payload: JSON.stringify(event.data),
      encoding: 'utf8',
      errors: [
        `rule ${this.rule.id}: event time ${event.time} is behind the watermark ${watermark} of key "${key}"`,
      ],
      device: event.device,
      type: event.type,
      at: this.now,
    })
  }

  /** Runs a condition; a runtime error counts, is reported, and reads as false. */
  private test(part: string, key: string, fn: () => unknown): boolean {
    try {
      return fn() === true
    } catch (err) {
      this.fail(part, key, err, this.now)
      return false
    }
  }

  private fail(part: string, key: string, err: unknown, at: number): void {
    this.stats.errors++
    const e = err as { summary?: string; message?: string }
    this.effects.onError?.({
      rule: this.rule.id,
      part,
      key,
      message: e.summary ?? e.message ?? String(err),
      at,
    })
  }
}
