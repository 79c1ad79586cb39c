import type { Normalizer } from '../ingest/normalize.js'
import { type DeadLetterSink, type EventGate, IngestPipeline } from '../ingest/pipeline.js'
import type { ReplayInput } from '../journal/recording.js'
import { type LoadedRule, type RuleEffects, RuleEngine } from '../rules/index.js'
import { DEFAULT_TICK_MS as RULE_TICK_MS } from '../rules/operators/scheduler.js'
import type { ReplayOutcome } from './outcome.js'

const MAX_STEPPED_MS = 3_600_000

export interface ReplayOptions {
  rules: readonly LoadedRule[]
  /** Needed for raw MQTT inputs (the same catalog and validation as live traffic). */
  normalizer: Normalizer
  /**
   * The ingest gates raw MQTT inputs pass, as live (createHygieneGates); fresh per run, since they keep
   * state. Journal events already passed them live and go straight to the rules.
   */
  gates?: (deadLetters: DeadLetterSink) => EventGate[]
  /** Extra virtual time after the last input, so open windows and `for` timers can complete. */
  tailMs?: number
  /** 0 (default): as fast as the CPU allows; N: N× real time (1 = real time). */
  speed?: number
  /** Include shadow rules' alerts in the outcome (they never command). */
  includeShadow?: boolean
  /** Called for each outcome as it happens (streaming output, side effects when asked). */
  onOutcome?: (o: ReplayOutcome) => void
}

export interface ReplayResult {
  outcomes: ReplayOutcome[]
  events: number
  deadLetters: Record<string, number>
  ruleErrors: number
}

function inputTime(i: ReplayInput): number {
  return i.kind === 'mqtt' ? i.ts : i.event.received
}

/**
 * Runs rules over recorded inputs on a virtual clock: inputs in receive-time order, the engine ticked on
 * the live grid in between. No side effects: outcomes are collected, and commands are not sent.
 * Deterministic: the same inputs and rules give the same outcomes in the same order.
 */
export async function runReplay(
  inputs: readonly ReplayInput[],
  options: ReplayOptions,
): Promise<ReplayResult> {
  const outcomes: ReplayOutcome[] = []
  const deadLetters: Record<string, number> = {}
  let ruleErrors = 0
  const emit = (o: ReplayOutcome) => {
    outcomes.push(o)
    options.onOutcome?.(o)
  }
  let now = 0
  const effects: RuleEffects = {
    onAlertTransition(t) {
      if (t.mode === 'shadow' && !options.includeShadow) return
      emit({
        kind: 'alert',
        t: t.at,
        rule: t.mode === 'shadow' ? `${t.rule} (shadow)` : t.rule,
        key: t.key,
        state: t.state,
        severity: t.severity,
        values: t.values,
      })
    },
    onCommand(c) {
      emit({ kind: 'command', t: c.at, rule: c.rule, device: c.device, name: c.name, params: c.params })
    },
    onWrite() {},
    onPublish() {},
    onDeadLetter(d) {
      deadLetters[d.reason] = (deadLetters[d.reason] ?? 0) + 1
    },
    onError() {
      ruleErrors++
    },
  }
  const engine = new RuleEngine({ effects, clock: () => now })
  let events = 0
  const dead: DeadLetterSink = {
    record: (d) => {
      deadLetters[d.reason] = (deadLetters[d.reason] ?? 0) + 1
    },
  }
  const ingest = new IngestPipeline({
    normalizer: options.normalizer,
    gates: options.gates?.(dead) ?? [],
    deadLetters: dead,
    emit: (event) => {
      events++
      engine.push(event, now)
    },
  })
  // Stable sort: equal times keep recording order.
  const ordered = inputs
    .map((input, i) => ({ input, i }))
    .sort((a, b) => inputTime(a.input) - inputTime(b.input) || a.i - b.i)
  const first = ordered[0]
  if (!first) return { outcomes, events: 0, deadLetters, ruleErrors }
  now = inputTime(first.input)
  engine.setRules(options.rules, now)
  let nextTick = Math.ceil(now / RULE_TICK_MS) * RULE_TICK_MS
  const speed = options.speed ?? 0
  const advance = async (to: number) => {
    if (speed > 0 && to > now) await new Promise((r) => setTimeout(r, (to - now) / speed))
    // Across a long silence, one jump to the grid point an hour before `to`: the engine runs every timer
    // due in between in order, and the last hour is stepped tick by tick as live would.
    if (to - nextTick > MAX_STEPPED_MS) {
      nextTick = Math.floor((to - MAX_STEPPED_MS) / RULE_TICK_MS) * RULE_TICK_MS
      now = nextTick
      engine.advanceTo(now)
      nextTick += RULE_TICK_MS
    }
    while (nextTick <= to) {
      now = nextTick
      engine.advanceTo(now)
      nextTick += RULE_TICK_MS
    }
    now = Math.max(now, to)
  }
  for (const { input } of ordered) {
    const t = inputTime(input)
    await advance(t)
    if (input.kind === 'mqtt') {
      ingest.fromMqtt(input.topic, input.payload, t)
      continue
    }
    events++
    engine.push(input.event, t)
  }
  await advance(now + (options.tailMs ?? 0))
  return { outcomes, events, deadLetters, ruleErrors }
}
