import { existsSync } from 'node:fs'
import { interval, type Subscription } from 'rxjs'
import { type FileError, formatFileError } from '../core/file-errors.js'
import type { Extension, GatewayContext } from '../extension.js'
import { RateLimitedLog } from '../observability/logger.js'
import type { Sample } from '../observability/metrics-source.js'
import { ServiceKey } from '../services.js'
import type { Event } from '../core/event.js'
import { checkRuleFiles } from './check-rules.js'
import type { AlertTransition } from './effects.js'
import { RuleEngine } from './engine.js'
import { FolderWatcher } from './folder-watcher.js'
import { type GatewayEffectStats, gatewayEffects } from './gateway-effects.js'
import { DEFAULT_TICK_MS as RULE_TICK_MS } from './operators/scheduler.js'
import { isCodeRule } from './plan.js'
import { RuleFolder } from './rule-folder.js'

/** Where rule file errors are published (retained: the current state of the folder). */
export const RULE_ERRORS_TOPIC = 'tidegate/rules/errors'
const RELOAD_DEBOUNCE_MS = 200

/**
 * The rules feature: loads `rules/`, runs every event through the engine, ticks it, and reloads on
 * change. A bad file is reported (log, `tidegate/rules/errors`) and its last good version keeps running.
 */
export function rulesExtension(ctx: GatewayContext): Extension {
  const dir = ctx.path(ctx.config.rules)
  const log = new RateLimitedLog(ctx.logger, 20)
  const effectStats: GatewayEffectStats = { commandsRefused: 0, publishFailures: 0 }
  const transitionListeners: ((t: AlertTransition) => void)[] = []
  const transitionGates: ((t: AlertTransition) => boolean)[] = []
  const effects = gatewayEffects(ctx, log, effectStats)
  const engine = new RuleEngine({
    effects: {
      ...effects,
      onAlertTransition(t) {
        for (const gate of transitionGates) if (!gate(t)) return
        effects.onAlertTransition(t)
        for (const listen of transitionListeners) listen(t)
      },
    },
  })
  const folder = new RuleFolder(dir)
  const watcher = new FolderWatcher(
    dir,
    RELOAD_DEBOUNCE_MS,
    () => void reload('change'),
    (err) => ctx.logger.warn({ err: err.message, dir }, 'rules folder watch failed'),
  )
  const subscriptions: Subscription[] = []
  let reloads = 0
  let lastErrors = 0
  let lastLoad: { at: number; errors: RuleFileStatus['errors'] } = { at: 0, errors: [] }

  let reloading: Promise<void> = Promise.resolve()
  /** Reloads run one after another (a code rule's import is asynchronous). */
  function reload(why: string): Promise<void> {
    reloading = reloading
      .then(() => load(why))
      .catch((err: unknown) => ctx.logger.error({ err: (err as Error).message, dir }, 'rules reload failed'))
    return reloading
  }

  async function load(why: string): Promise<void> {
    const result = await folder.load()
    const change = engine.setRules(result.rules)
    for (const f of change.failed)
      result.errors.push({
        file: f.file,
        line: 1,
        col: 1,
        code: 'TG_RULE_BUILD',
        path: '',
        message: `building the pipeline threw: ${f.message}`,
      })
    reloads++
    lastErrors = result.errors.length
    for (const e of result.errors)
      ctx.logger.error({ file: e.file, line: e.line, code: e.code }, `rule file: ${formatFileError(e)}`)
    for (const file of result.keptOld)
      ctx.logger.warn({ file }, 'rule file has errors; its previous version keeps running')
    const body = {
      at: Date.now(),
      errors: result.errors.map((e) => ({ ...e, text: formatFileError(e) })),
      keptOld: result.keptOld,
    }
    lastLoad = { at: body.at, errors: body.errors }
    ctx.broker.publish(RULE_ERRORS_TOPIC, JSON.stringify(body), { qos: 1, retain: true }).catch(() => {})
    ctx.logger.info({ why, dir, ...change, errors: result.errors.length }, 'rules loaded')
  }

  return {
    name: 'rules',
    readiness: () => ({ ready: true, detail: { rules: engine.rules.length, errors: lastErrors, reloads } }),
    metricSamples: () => metricSamples(engine, effectStats),
    async start() {
      ctx.services.set(RULES, {
        engine,
        stats: () => engine.stats(),
        /** The operator seam (status page): acknowledge a firing alert. */
        acknowledge: (rule: string, key: string, by: string) => engine.acknowledge(rule, key, by),
        push: (event) => engine.push(event),
        onAlertTransition: (listener) => void transitionListeners.push(listener),
        gateAlertTransitions: (gate) => void transitionGates.push(gate),
        /** What the status page shows: each running rule with its counters, and the last load's errors. */
        status: (stats = engine.stats()): RuleFileStatus => ({
          rules: engine.rules.map((r) => ({
            id: r.rule.id,
            file: r.rule.file,
            kind: isCodeRule(r.rule) ? 'code' : r.rule.kind,
            mode: r.rule.mode,
            severity: r.rule.severity,
            window: isCodeRule(r.rule) ? null : (r.rule.window ?? null),
            stats: stats[r.rule.id] ?? {},
          })),
          loadedAt: lastLoad.at,
          errors: lastLoad.errors,
        }),
      })
      if (!existsSync(dir)) {
        ctx.logger.warn({ dir }, 'rules folder missing; no rules run')
        return
      }
      await reload('start')
      // In a cluster the partition streams feed the engine (src/cluster/): each event on its owner node only.
      if (!ctx.config.cluster.redis) subscriptions.push(ctx.events.subscribe((event) => engine.push(event)))
      subscriptions.push(interval(RULE_TICK_MS).subscribe(() => engine.advanceTo()))
      watcher.start()
    },
    async stop() {
      watcher.stop()
      for (const s of subscriptions) s.unsubscribe()
    },
  }
}

/** What the rules feature offers the status page: the engine, acknowledgement and a status view. */
export interface RulesService {
  engine: RuleEngine
  stats(): ReturnType<RuleEngine['stats']>
  acknowledge(rule: string, key: string, by: string): ReturnType<RuleEngine['acknowledge']>
  status(): RuleFileStatus
  /** One event into the engine (the cluster feature, which feeds it from the partition streams). */
  push(event: Event): void
  /** Every alert transition, after it was published and written. */
  onAlertTransition(listener: (t: AlertTransition) => void): void
  /** A gate before publication: false drops the transition (a cluster partition this node gave away). */
  gateAlertTransitions(gate: (t: AlertTransition) => boolean): void
}
export const RULES = new ServiceKey<RulesService>('rules')

/** The rules as the status page and `GET /api/rules` show them. */
export interface RuleFileStatus {
  rules: {
    id: string
    file: string
    kind: string
    mode: string
    severity: string
    window: unknown
    stats: Record<string, number>
  }[]
  loadedAt: number
  /** The last load's errors (file:line:col), each with its formatted `text`. */
  errors: (FileError & { text: string })[]
}

function metricSamples(engine: RuleEngine, effects: GatewayEffectStats): Sample[] {
  const out: Sample[] = []
  const counters: [string, string, string][] = [
    ['matched', 'tidegate_rule_events_total', 'Events that passed a rule filter'],
    ['results', 'tidegate_rule_results_total', 'Results evaluated (closed windows, per-event evaluations)'],
    ['late', 'tidegate_rule_late_events_total', 'Events behind the watermark, dead-lettered as late'],
    ['errors', 'tidegate_rule_errors_total', 'Runtime expression and action errors'],
    ['transitions', 'tidegate_rule_alert_transitions_total', 'Alert state transitions'],
    ['commands', 'tidegate_rule_commands_total', 'Commands sent by rules'],
    [
      'commandsDeferred',
      'tidegate_rule_commands_deferred_total',
      'Commands held back by the minimum interval',
    ],
    ['shadowed', 'tidegate_rule_commands_shadowed_total', 'Commands a shadow rule would have sent'],
  ]
  for (const [rule, s] of Object.entries(engine.stats())) {
    for (const [key, name, help] of counters)
      out.push({ name, help, type: 'counter', labels: { rule }, value: s[key] ?? 0 })
    out.push({
      name: 'tidegate_rule_firing',
      help: 'Keys firing',
      type: 'gauge',
      labels: { rule },
      value: s.firing ?? 0,
    })
    out.push({
      name: 'tidegate_rule_open_windows',
      help: 'Open windows',
      type: 'gauge',
      labels: { rule },
      value: s.openWindows ?? 0,
    })
  }
  out.push({
    name: 'tidegate_rule_commands_refused_total',
    help: 'Rule commands the dispatcher refused',
    type: 'counter',
    value: effects.commandsRefused,
  })
  return out
}

/** `tidegate check`: every rule file. */
rulesExtension.check = checkRuleFiles
