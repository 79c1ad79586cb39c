/**
 * What a cluster window snapshot round costs (issue 19, docs/cluster.md): the time to save and restore
 * the open windows of many keys, and their size, in one process without Redis.
 *
 *   npm run bench:window-snapshot -- [--keys 10000] [--events 5]
 *
 * One tumbling window rule (count, avg, max: the common derived-metric shape) and a deadman rule;
 * --keys devices send --events events each into an open window. Then three rounds of what a node does
 * every cluster.snapshotInterval for its partitions (saveKeyedState + JSON per key, the value written
 * to Redis) and what a new owner does once (JSON.parse + restoreKeyedState). Prints the median round,
 * bytes per key and the load average (the machine is shared: wall time is indicative only).
 */
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import type { Event } from '../src/core/event.js'
import { compileRuleText } from '../src/rules/compile.js'
import type { RuleEffects } from '../src/rules/effects.js'
import { RuleEngine } from '../src/rules/engine.js'
import type { CompiledRule } from '../src/rules/plan.js'

const { values: args } = parseArgs({
  options: { keys: { type: 'string', default: '10000' }, events: { type: 'string', default: '5' } },
})
const KEYS = Number(args.keys)
const EVENTS = Number(args.events)

const RULES = [
  `version: 1
id: mean
from: { type: climate-sensor }
window: { kind: tumbling, size: 1h }
aggregate: { n: count(), mean: avg(data.t), hi: max(data.t) }
actions:
  - write: { measurement: climate_mean, fields: [n, mean, hi] }
`,
  `version: 1
id: silent
kind: deadman
from: { type: climate-sensor }
silence: 1h
actions:
  - alert: { message: "{{key}} silent" }
`,
]

function compiled(text: string): CompiledRule {
  const out = compileRuleText(text, 'bench.yaml')
  if ('errors' in out) throw new Error(JSON.stringify(out.errors))
  return out.rule
}

const noop = () => undefined
const effects: RuleEffects = {
  onAlertTransition: noop,
  onCommand: noop,
  onWrite: noop,
  onPublish: noop,
  onDeadLetter: noop,
}
let now = 1_000
const engine = (): RuleEngine => {
  const e = new RuleEngine({ effects, clock: () => now })
  e.setRules(RULES.map(compiled))
  e.stateTag = () => 0
  return e
}

const source = engine()
for (let i = 0; i < KEYS * EVENTS; i++) {
  now++
  const device = `dev-${i % KEYS}`
  const event: Event = {
    device,
    type: 'climate-sensor',
    stream: 'telemetry',
    time: now,
    received: now,
    data: { t: 20 + (i % 13) / 2 },
    tags: { site: 'north' },
    source: 'mqtt',
    topic: `devices/${device}/telemetry`,
  }
  source.push(event, now)
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
const saveMs: number[] = []
const restoreMs: number[] = []
let bytes = 0
let keys = 0
for (let round = 0; round < 3; round++) {
  let t0 = performance.now()
  const values = source.saveKeyedState(0).map((s) => [s, JSON.stringify({ v: 1, s: s.state })] as const)
  saveMs.push(performance.now() - t0)
  bytes = values.reduce((n, [, json]) => n + json.length, 0)
  keys = values.length
  const target = engine()
  t0 = performance.now()
  target.restoreKeyedState(
    0,
    values.map(([s, json]) => ({ ...s, state: (JSON.parse(json) as { s: unknown }).s })),
  )
  restoreMs.push(performance.now() - t0)
}
console.log(
  `${KEYS} devices, ${keys} keyed states (window + deadman), ${EVENTS} events each in the open window`,
)
console.log(
  `save round ${median(saveMs).toFixed(1)} ms, restore ${median(restoreMs).toFixed(1)} ms, ` +
    `${(bytes / 1024 / 1024).toFixed(2)} MiB (${Math.round(bytes / keys)} B per keyed state); load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
)
