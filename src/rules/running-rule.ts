import { Observable, retry, Subject, type Subscriber, type Subscription, timer } from 'rxjs'
import type { Event } from '../core/event.js'
import type { AlertMachine, AlertSeed } from './alert-machine.js'
import { EffectRouter } from './effect-router.js'
import type { RuleEffects } from './effects.js'
import type { Acknowledgement, AcknowledgeResult } from './operators/alert-state.js'
import type { Effect } from './operators/effects.js'
import { KeyedStateRegistry, type StateTagSource } from './operators/keyed-state.js'
import { newMeter, sumGauges, withRuleContext } from './operators/operate.js'
import type { SteppedScheduler } from './operators/scheduler.js'
import { isCodeRule, type LoadedRule } from './plan.js'
import { ruleTools } from './tools.js'
import { yamlPipeline } from './yaml-pipeline.js'
import { newCounters } from './yaml-select.js'

/**
 * Operators tick at every step of the engine's clock (the gateway steps it every 250 ms, replay on the
 * same grid, tests by hand), so a timer never waits for a second step.
 */
const STEP_TICK_MS = 1
/** A failing pipeline is resubscribed after 1 s, 2 s, 4 s, ... at most a minute. */
const MAX_BACKOFF_MS = 60_000

export interface RuleHost {
  effects: RuleEffects
  scheduler: SteppedScheduler
  log?: (rule: string, message: string, fields?: Record<string, unknown>) => void
  /** Where a new alert key of a rule continues from (a cluster takeover); read when the key first appears. */
  alertSeeds?: () => AlertSeeds | null
  /** The cluster partition of the event being handled (tags the windows' and deadman's keys). */
  stateTags?: StateTagSource
  /** Effects are dropped while this says so (a cluster takeover's replay of handled events). */
  muted?: () => boolean
}

/** Alert states another node left, by rule and key. */
export type AlertSeeds = (rule: string, key: string) => AlertSeed | undefined

/**
 * One rule running on the engine: its pipeline (YAML compiled, or built by a code rule) subscribed to
 * the engine's events, its effects routed. An error inside the pipeline is counted, reported and the
 * pipeline resubscribed with backoff; it never reaches the gateway or the other rules.
 */
export class RunningRule {
  readonly counters = newCounters()
  readonly meter = newMeter()
  /** The alert machines of this rule's alertState operators (a cluster makes the engine forget keys). */
  readonly alertMachines = new Set<Map<string, AlertMachine>>()
  /** The per-key state of this rule's windowBy and deadman operators (cluster snapshots). */
  readonly keyedState: KeyedStateRegistry
  readonly router: EffectRouter
  /** Subscribers of this rule's input: the engine hands them each event (no Subject, no per-event closure). */
  private readonly inputs: Subscriber<Event>[] = []
  private readonly acknowledgements = new Subject<Acknowledgement>()
  private subscription: Subscription | null = null
  private readonly from: ((event: Event) => boolean) | null

  constructor(
    readonly rule: LoadedRule,
    private readonly host: RuleHost,
  ) {
    const severity = isCodeRule(rule) ? rule.severity : rule.severity
    this.from = isCodeRule(rule) ? null : rule.matches
    this.keyedState = new KeyedStateRegistry(host.stateTags ?? { stateTag: null })
    this.router = new EffectRouter(
      { id: rule.id, mode: rule.mode, severity },
      host.effects,
      host.scheduler,
      STEP_TICK_MS,
      () => host.muted?.() === true,
    )
  }

  /** Builds and subscribes the pipeline; a build that throws is returned (the caller keeps the old version). */
  start(): Error | null {
    const { scheduler } = this.host
    const input$ = new Observable<Event>((s) => {
      this.inputs.push(s)
      return () => {
        const i = this.inputs.indexOf(s)
        if (i >= 0) this.inputs.splice(i, 1)
      }
    })
    const context = {
      scheduler,
      tick: STEP_TICK_MS,
      meter: this.meter,
      acknowledgements: this.acknowledgements,
      alertSeed: (key: string) => this.host.alertSeeds?.()?.(this.rule.id, key),
      alertMachines: this.alertMachines,
      keyedState: this.keyedState,
    }
    let built: Observable<Effect>
    try {
      built = withRuleContext(context, () => this.build(input$))
    } catch (err) {
      this.router.stop()
      return err as Error
    }
    // Operators a pipeline creates when subscribed (inside `defer`, on a resubscription) get the rule's clock too.
    const effects$ = new Observable<Effect>((s) => withRuleContext(context, () => built.subscribe(s)))
    this.subscription = effects$
      .pipe(
        retry({
          delay: (err: unknown, attempt: number) => {
            this.fail('pipeline', '', err)
            return timer(Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (attempt - 1)), scheduler)
          },
          resetOnSuccess: true,
        }),
      )
      .subscribe((effect) => {
        try {
          this.router.route(effect)
        } catch (err) {
          this.fail('effect', '', err)
        }
      })
    return null
  }

  private build(input$: Observable<Event>): Observable<Effect> {
    const rule = this.rule
    const { scheduler } = this.host
    if (!isCodeRule(rule))
      return input$.pipe(
        yamlPipeline(rule, {
          scheduler,
          counters: this.counters,
          fail: (part, key, err) => this.fail(part, key, err),
          deadLetter: (d) => this.host.effects.onDeadLetter(d),
        }),
      )
    const t = ruleTools({ id: rule.id, file: rule.file, mode: rule.mode }, scheduler, (message, fields) =>
      this.host.log?.(rule.id, message, fields),
    )
    const out = rule.build(input$, t)
    if (!out || typeof (out as Observable<Effect>).subscribe !== 'function')
      throw new TypeError(`the default export must return an Observable of effects, got ${typeof out}`)
    // Code rules: every effect counts as a result (what matched is the rule's own business).
    return new Observable<Effect>((s) =>
      out.subscribe({
        next: (e) => {
          this.counters.results++
          s.next(e)
        },
        error: (err: unknown) => s.error(err),
        complete: () => s.complete(),
      }),
    )
  }

  push(event: Event): void {
    // A YAML rule's input is the events its `from` selects: most events stop here, before any operator.
    if (this.from !== null && !this.from(event)) return
    const inputs = this.inputs
    for (let i = 0; i < inputs.length; i++) (inputs[i] as Subscriber<Event>).next(event)
  }

  /** An operator has seen a firing alert of `key`: it stays firing, re-notification stops. */
  acknowledge(key: string, by: string): AcknowledgeResult {
    const ack: Acknowledgement = { key, by }
    this.acknowledgements.next(ack)
    return ack.result ?? { ok: false, reason: 'not firing' }
  }

  /** The rule goes away (removed or replaced): its input completes, so what fires resolves, then it stops. */
  retire(): void {
    for (const s of [...this.inputs]) s.complete()
    this.subscription?.unsubscribe()
    this.router.stop()
  }

  stats(): Record<string, number> {
    const r = this.router
    return {
      ...this.counters,
      late: this.meter.late,
      ...r.stats,
      commandsDeferred: r.gate.deferred,
      commandsReplaced: r.gate.replaced,
      openWindows: sumGauges(this.meter.openWindows),
      firing: sumGauges(this.meter.firing),
    }
  }

  /** A runtime error: counted, reported (the gateway logs it at a bounded rate), never thrown on. */
  fail(part: string, key: string, err: unknown): void {
    this.counters.errors++
    const e = err as { summary?: string; message?: string }
    let message = e.summary ?? e.message ?? String(err)
    const where = isCodeRule(this.rule) ? locate(err, this.rule.file) : null
    if (where) message = `${where}: ${message}`
    this.host.effects.onError?.({ rule: this.rule.id, part, key, message, at: this.host.scheduler.now() })
  }
}

/** `file:line:col` of the first stack frame inside `file`, if any. */
export function locate(err: unknown, file: string): string | null {
  const stack = (err as { stack?: unknown } | null)?.stack
  if (typeof stack !== 'string') return null
  for (const line of stack.split('\n')) {
    const i = line.indexOf(file)
    if (i < 0) continue
    const m = /^[^\s:)]*?(?:\?[^\s:)]*)?:(\d+):(\d+)/.exec(line.slice(i + file.length))
    if (m) return `${file}:${m[1]}:${m[2]}`
  }
  return null
}
