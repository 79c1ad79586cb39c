import type { DeadLetter } from '../../src/core/dead-letter.js'
import type { Event } from '../../src/core/event.js'
import { compileRuleText } from '../../src/rules/compile.js'
import type {
  AlertTransition,
  DerivedPoint,
  RuleCommand,
  RuleEffects,
  RuleError,
  RulePublish,
} from '../../src/rules/effects.js'
import { RuleEngine } from '../../src/rules/engine.js'
import type { CompiledRule } from '../../src/rules/plan.js'

/** Compiles rule YAML or throws with every error (tests want the rule or a loud failure). */
export function rule(yaml: string, file = 'test.yaml'): CompiledRule {
  const out = compileRuleText(yaml, file)
  if ('errors' in out)
    throw new Error(out.errors.map((e) => `${e.line}:${e.col} ${e.path}: ${e.message}`).join('\n'))
  return out.rule
}

export function ruleErrors(yaml: string, file = 'test.yaml'): string[] {
  const out = compileRuleText(yaml, file)
  return 'errors' in out ? out.errors.map((e) => `${e.line}:${e.col} ${e.code} ${e.path}: ${e.message}`) : []
}

/** Effect handlers that record everything, in order. */
export function recorder() {
  const alerts: AlertTransition[] = []
  const commands: RuleCommand[] = []
  const writes: DerivedPoint[] = []
  const publishes: RulePublish[] = []
  const deadLetters: DeadLetter[] = []
  const errors: RuleError[] = []
  const effects: RuleEffects = {
    onAlertTransition: (t) => alerts.push(t),
    onCommand: (c) => commands.push(c),
    onWrite: (p) => writes.push(p),
    onPublish: (m) => publishes.push(m),
    onDeadLetter: (d) => deadLetters.push(d),
    onError: (e) => errors.push(e),
  }
  return { alerts, commands, writes, publishes, deadLetters, errors, effects }
}

/** A virtual clock + an engine on it; `at(t)` moves time and lets the engine see it. */
export function virtualEngine(rules: CompiledRule[]) {
  const rec = recorder()
  let now = 0
  const engine = new RuleEngine({ effects: rec.effects, clock: () => now })
  engine.setRules(rules)
  return {
    ...rec,
    engine,
    /** Processing time now. */
    get now() {
      return now
    },
    /** Advances virtual time to t (ms), running the engine's timers. */
    at(t: number) {
      now = t
      engine.advanceTo(t)
    },
    /** An event arriving now (processing time); event time defaults to now too. */
    send(device: string, data: Record<string, unknown>, opts: Partial<Event> = {}) {
      engine.push(ev(device, data, { time: now, received: now, ...opts }), now)
    },
    states: () => rec.alerts.map((a) => `${a.key}:${a.state}${a.repeat ? `#${a.repeat}` : ''}@${a.at}`),
  }
}

export function ev(device: string, data: Record<string, unknown>, opts: Partial<Event> = {}): Event {
  return {
    device,
    type: 'climate-sensor',
    stream: 'telemetry',
    time: 0,
    received: 0,
    data,
    tags: {},
    source: 'mqtt',
    topic: `devices/${device}/telemetry`,
    ...opts,
  }
}
