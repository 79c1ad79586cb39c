import type { Event } from '../core/event.js'
import { ActionRunner } from './actions.js'
import { AlertMachine, type Transition } from './alert-machine.js'
import type { AlertTransition, RuleEffects } from './effects.js'
import type { CompiledRule } from './plan.js'
import type { Scope } from './templates.js'
import { createWindower, type Windower, type WindowResult } from './windows.js'

export interface RuleStats {
  matched: number
  results: number
  late: number
  errors: number
  transitions: number
}

const EMPTY: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>

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
          late: (event, key, watermark) => this.onLate(event, key, watermark),
        })
      : null
  }

  /** Called once when the rule is installed: deadman `expect` keys start their silence now. */
  install(now: number): void {
    for (const key of this.rule.expect) if (!this.lastSeen.has(key)) this.lastSeen.set(key, now)
  }

  push(event: Event, now: number): void {
    const rule = this.rule
    if (!rule.matches(event)) return
    this.now = now
    const ctx: Record<string, unknown> = {
      device: event.device,
      deviceType: event.type,
      stream: event.stream,
      topic: event.topic,
      time: event.time,
      data: event.data,
      tags: event.tags,
      prev: EMPTY,
      key: '',
    }
    if (rule.where !== null && !this.test('where', '', () => rule.where!(ctx))) return
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
      const inputs = rule.aggregates.map((a, i) => {
        if (a.input === null) return true
        try {
          return a.input(ctx)
        } catch (err) {
          this.fail(`aggregate:${rule.aggregates[i]?.name}`, key, err, now)
          return undefined
        }
      })
      this.windower.add(key, event.time, now, inputs, event)
      return
    }
    const mem = this.memory.get(key)
    ctx.prev = mem?.values ?? EMPTY
    this.evaluate(key, event.data, ctx, event.device, event.tags, now, event.time)
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

  firingKeys(): string[] {
    return [...this.machines].filter(([, m]) => m.state === 'firing').map(([k]) => k)
  }

  openWindows(): number {
    return this.windower?.openWindows() ?? 0
  }

  private onWindow(r: WindowResult): void {
    const values: Record<string, unknown> = {}
    this.rule.aggregates.forEach((a, i) => {
      values[a.name] = r.values[i]
    })
    const mem = this.memory.get(r.key)
    const ctx: Record<string, unknown> = {
      ...values,
      device: r.last.device,
      key: r.key,
      tags: r.last.tags,
      prev: mem?.values ?? EMPTY,
      window: { start: r.start, end: r.end, count: r.count },
      time: r.end,
    }
    const at = this.rule.eventTime ? r.end : this.now
    this.evaluate(r.key, values, ctx, r.last.device, r.last.tags, at, r.start)
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
    this.memory.set(key, { values, device, tags })
    const scope = this.scope(key, values, device, tags, ctx)
    this.actions.onResult(scope, key, pointTime, this.now)
    this.publish(key, transitions, this.now)
  }

  private heard(key: string, event: Event, now: number): void {
    this.lastSeen.set(key, now)
    this.memory.set(key, { values: { lastSeen: now }, device: event.device, tags: event.tags })
    const machine = this.machines.get(key)
    if (machine && machine.state !== 'ok') this.publish(key, machine.evaluate(false, true, now), now)
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
      const scope = this.scope(key, values, device, tags, null)
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
      t.message = this.message(scope, t)
      scope.message = t.message
      this.actions.onTransition(t, scope, now)
    }
  }

  private message(scope: Scope, t: AlertTransition): string {
    for (const a of this.rule.actions) if (a.kind === 'alert' && a.message) return a.message.render(scope)
    return `${t.rule} ${t.state} for ${t.key}`
  }

  private scope(
    key: string,
    values: Record<string, unknown>,
    device: string,
    tags: Record<string, string>,
    ctx: Record<string, unknown> | null,
  ): Scope {
    return {
      ...values,
      values,
      data: ctx?.data ?? values,
      rule: this.rule.id,
      key,
      device,
      tags,
      severity: this.rule.severity,
      window: ctx?.window,
      time: ctx?.time,
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
