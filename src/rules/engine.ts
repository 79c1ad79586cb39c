import type { Event } from '../core/event.js'
import type { RuleEffects } from './effects.js'
import type { AcknowledgeResult } from './operators/alert-state.js'
import { SteppedScheduler } from './operators/scheduler.js'
import { isCodeRule, type LoadedRule } from './plan.js'
import { type AlertSeeds, type RuleHost, RunningRule } from './running-rule.js'

export interface RuleEngineOptions {
  effects: RuleEffects
  /** Processing time when `push`/`advanceTo` are not given one (default Date.now). Inject for virtual time. */
  clock?: () => number
  /** Code rules' `t.log`. */
  log?: (rule: string, message: string, fields?: Record<string, unknown>) => void
}

/** One key's window or deadman state, as `saveKeyedState` gives it (JSON-serialisable). */
export interface SavedKeyState {
  rule: string
  /** The rule's definition fingerprint: state of another version of the rule is not restored. */
  fingerprint: string
  /** The operator within the rule (`window0`, `deadman0`). */
  op: string
  key: string
  state: unknown
}

/** The effects, except while `muted()` says no. */
function muteable(effects: RuleEffects, muted: () => boolean): RuleEffects {
  return {
    onAlertTransition: (t) => muted() || effects.onAlertTransition(t),
    onCommand: (c) => muted() || effects.onCommand(c),
    onWrite: (p) => muted() || effects.onWrite(p),
    onPublish: (m) => muted() || effects.onPublish(m),
    onDeadLetter: (d) => muted() || effects.onDeadLetter(d),
    onError: (e) => muted() || effects.onError?.(e),
  }
}

export interface RuleSetChange {
  added: string[]
  changed: string[]
  removed: string[]
  unchanged: string[]
  /** Rules whose pipeline threw while being built: their previous version (if any) keeps running. */
  failed: { id: string; file: string; message: string }[]
}

/**
 * Runs rules as RxJS pipelines, usable without the gateway (replay, tests, bench): each rule (YAML
 * compiled by yaml-pipeline.ts, or a code rule's own) subscribes to the events, effects go to injected
 * handlers, and time comes from one stepped scheduler the caller moves.
 *
 *   const engine = new RuleEngine({ effects, clock: () => virtualNow })
 *   engine.setRules(rules)
 *   engine.push(event)          // or push(event, processingTime): synchronous, effects before it returns
 *   engine.advanceTo(t)         // a clock step: closes windows, completes for/clearFor/repeat, deadman, held commands
 */
export class RuleEngine {
  /** The rules' clock: `push` and `advanceTo` move it. */
  readonly scheduler: SteppedScheduler
  private running = new Map<string, RunningRule>()
  private list: RunningRule[] = []
  private readonly clock: () => number
  private readonly effects: RuleEffects
  private readonly log: RuleEngineOptions['log']
  /** Set by the cluster feature: alert states of the partitions this node took over. */
  alertSeeds: AlertSeeds | null = null
  /** Set by the cluster feature: the partition of the event being handled (tags windows and deadman keys). */
  stateTag: (() => number | undefined) | null = null
  /**
   * While true no effect leaves the engine (a cluster takeover replays events the previous owner already
   * handled, to rebuild window state only).
   */
  muted = false

  /** What each running rule gets from the engine. */
  private readonly host: RuleHost

  constructor(options: RuleEngineOptions) {
    this.effects = muteable(options.effects, () => this.muted)
    this.clock = options.clock ?? Date.now
    this.log = options.log
    this.scheduler = new SteppedScheduler(this.clock())
    this.host = {
      effects: this.effects,
      scheduler: this.scheduler,
      log: this.log,
      alertSeeds: () => this.alertSeeds,
      stateTags: this,
      muted: () => this.muted,
    }
  }

  /**
   * Installs a rule set. Rules whose definition (YAML) or file text (code) is unchanged keep their
   * windows and alert state; changed and removed rules resolve their firing alerts first; changed and
   * new rules start fresh.
   */
  setRules(rules: readonly LoadedRule[], now = this.clock()): RuleSetChange {
    this.scheduler.setNow(now)
    const change: RuleSetChange = { added: [], changed: [], removed: [], unchanged: [], failed: [] }
    const next = new Map<string, RunningRule>()
    for (const rule of rules) {
      if (!(isCodeRule(rule) ? rule.enabled : rule.definition.enabled)) continue
      const old = this.running.get(rule.id)
      if (old && old.rule.fingerprint === rule.fingerprint && old.rule.file === rule.file) {
        next.set(rule.id, old)
        change.unchanged.push(rule.id)
        continue
      }
      const running = new RunningRule(rule, this.host)
      if (old) old.retire()
      const err = running.start()
      if (err) {
        change.failed.push({ id: rule.id, file: rule.file, message: err.message })
        if (old) {
          // The old version's state is gone (it resolved), but it keeps running.
          const again = new RunningRule(old.rule, this.host)
          if (!again.start()) next.set(rule.id, again)
        }
        continue
      }
      if (old) change.changed.push(rule.id)
      else change.added.push(rule.id)
      next.set(rule.id, running)
    }
    for (const [id, old] of this.running) {
      if (next.has(id)) continue
      old.retire()
      change.removed.push(id)
    }
    this.running = next
    this.list = [...next.values()]
    return change
  }

  /** One event through every rule; `now` is the processing time (default: the clock). */
  push(event: Event, now = this.clock()): void {
    this.scheduler.setNow(now)
    const list = this.list
    for (let i = 0; i < list.length; i++) (list[i] as RunningRule).push(event)
  }

  /** A step of the clock: windows close, for/clearFor/repeat complete, deadman silence, held commands go. */
  advanceTo(now = this.clock()): void {
    this.scheduler.advanceTo(now)
  }

  /**
   * An operator acknowledges a firing alert: it stays firing (published once more with `acknowledged`)
   * and re-notification stops until it resolves; no action runs for it.
   */
  acknowledge(rule: string, key: string, by: string, now = this.clock()): AcknowledgeResult {
    const r = this.running.get(rule)
    if (!r) return { ok: false, reason: `no rule "${rule}"` }
    this.scheduler.setNow(now)
    return r.acknowledge(key, by)
  }

  /**
   * Drops the alert state of one key without announcing anything: a cluster node gave the key's partition
   * away, and if the partition comes back its state comes from the snapshot, not from this stale copy.
   */
  forgetAlert(rule: string, key: string): void {
    for (const machines of this.running.get(rule)?.alertMachines ?? []) machines.delete(key)
  }

  /**
   * One event at processing time `t` even when that is earlier than now; the clock is put back after.
   * A cluster takeover replays events at the time they reached their partition stream, so
   * processing-time windows place them as the previous owner did. Only the keys the event touches see
   * the earlier time; nothing due runs.
   */
  pushAt(event: Event, t: number): void {
    this.scheduler.travel(t, () => this.push(event, t))
  }

  /** The window and deadman state of the keys tagged `tag` (a cluster partition), for its snapshot. */
  saveKeyedState(tag: number): SavedKeyState[] {
    const out: SavedKeyState[] = []
    for (const r of this.list)
      for (const [op, key, state] of r.keyedState.save(tag))
        out.push({ rule: r.rule.id, fingerprint: r.rule.fingerprint, op, key, state })
    return out
  }

  /**
   * Continues saved keys (a partition taken over), tagged `tag`. A key of a rule that is missing or whose
   * definition differs here is skipped (a changed rule starts fresh). Returns how many were restored.
   */
  restoreKeyedState(tag: number, saved: readonly SavedKeyState[]): number {
    let n = 0
    for (const s of saved) {
      const r = this.running.get(s.rule)
      if (r?.rule.fingerprint !== s.fingerprint) continue
      if (r.keyedState.restore(s.op, s.key, s.state, tag)) n++
    }
    return n
  }

  /** Drops the window and deadman state of the keys tagged `tag`, silently (the partition moved away). */
  forgetKeyedState(tag: number): void {
    for (const r of this.list) r.keyedState.forget(tag)
  }

  /** The partition a rule's window or deadman key last saw a value in, if any. */
  keyTag(rule: string, key: string): number | undefined {
    return this.running.get(rule)?.keyedState.tagOf(key)
  }

  /** Resolves every firing alert (gateway stop is not a resolution, so only on explicit shutdown of rules). */
  clear(now = this.clock()): void {
    this.setRules([], now)
  }

  rule(id: string): RunningRule | undefined {
    return this.running.get(id)
  }

  get rules(): readonly RunningRule[] {
    return this.list
  }

  /** Per-rule counters for metrics and the status page. */
  stats(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {}
    for (const r of this.list) out[r.rule.id] = r.stats()
    return out
  }
}
