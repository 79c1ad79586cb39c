/**
 * The rule engine's public API. Stable for other features (replay, CLI) and tests.
 *
 * Layers: rule file (YAML, `schema.ts`) → checked definition (`compileRuleText`/`loadRulesDir`, every
 * error as file:line:col) → plan (`CompiledRule`: CEL compiled once) → one RxJS pipeline per rule built
 * from the operator library (`yaml-pipeline.ts`, `operators/`) → `RuleEngine`: runs every rule's
 * pipeline on one stepped clock and routes their effects (`effect-router.ts`).
 *
 * Use without the gateway (replay on virtual time):
 *
 *   const { rules, errors } = loadRulesDir('rules')
 *   const engine = new RuleEngine({
 *     clock: () => virtualNow,                 // processing time when push/advanceTo get none
 *     effects: {
 *       onAlertTransition(t) {},               // publish to alertTopic(t), write alertPoint(t)
 *       onCommand(c) {},                       // shadow rules never produce these
 *       onWrite(p) {},                         // derived points (toLine(p.point))
 *       onPublish(m) {},
 *       onDeadLetter(d) {},                    // late events
 *       onError(e) {},                         // runtime expression errors (also counted per rule)
 *     },
 *   })
 *   engine.setRules(rules, t0)
 *   engine.push(event, processingTime)         // synchronous; effects are called before it returns
 *   engine.advanceTo(t)                        // idle windows, for/clearFor/repeat, deadman, queued commands
 *
 * `setRules` again with a new set keeps the state of unchanged rules and resolves firing alerts of
 * changed and removed ones. Rules with `mode: shadow` publish alerts under `tidegate/shadow/`, write
 * `alerts_shadow`, and send no commands.
 */
export type { AlertState, AlertTiming, Transition, TransitionState } from './alert-machine.js'
export { AlertMachine } from './alert-machine.js'
export { compileRuleText } from './compile.js'
export type {
  AlertTransition,
  DerivedPoint,
  RuleCommand,
  RuleEffects,
  RuleError,
  RulePublish,
} from './effects.js'
export { alertPoint, alertTopic } from './effects.js'
export { RuleEngine, type RuleEngineOptions, type RuleSetChange } from './engine.js'
export { loadRuleFile, loadRulesDir, type RuleFileResult, type RulesLoad } from './load.js'
export type { CodeRule, CompiledRule, LoadedRule } from './plan.js'
export { RuleFolder } from './rule-folder.js'
export { type RuleFile, RuleFileSchema } from './schema.js'
