/**
 * Rule engine benchmark: events/s through 5 representative rules in one process, no broker, no I/O.
 *
 *   npm run bench:rules -- [--events 2000000] [--devices 1000] [--rules all|<id,...>] [--cpu-prof via node]
 *
 * The rules (bench-only, in this file) cover the shapes operators write: a CEL-filtered hopping
 * window with hysteresis and a command (event time, lateness), a per-event threshold with hysteresis,
 * a tumbling derived-metric writer, a sliding percentile, and a deadman. Events alternate between
 * climate sensors and power meters, 1 ms of event time apart, so windows open and close continually.
 * Effects are counted, not performed. Reports events per CPU second of this process (the median of 3
 * runs after a warm-up; the machine is shared, so wall time is shown but not trusted) and effect counts; writes JSON to bench/results/rules-<time>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import type { Event } from '../src/core/event.js'
import { compileRuleText } from '../src/rules/compile.js'
import type { RuleEffects } from '../src/rules/effects.js'
import { RuleEngine } from '../src/rules/engine.js'
import type { CompiledRule } from '../src/rules/plan.js'

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '2000000' },
    devices: { type: 'string', default: '1000' },
    rules: { type: 'string', default: 'all' },
  },
})

const RULES: Record<string, string> = {
  overheat: `version: 1
id: overheat
from: { type: climate-sensor }
where: "has(data.temperature) && tags.site == 'greenhouse'"
window: { kind: hopping, size: 60s, every: 10s, time: event, lateness: 5s }
aggregate: { mean: avg(data.temperature), peak: max(data.temperature), n: count() }
when: "mean > 30.0"
clear: "mean < 28.0"
for: 30s
actions:
  - alert: { message: "{{device}} mean {{mean}}" }
  - command: { device: "{{tags.zone}}-fan", name: set, params: { on: true }, onClear: { params: { on: false } } }
`,
  threshold: `version: 1
id: threshold
from: { type: power-meter }
when: "data.power > 2900.0"
clear: "data.power < 2000.0"
actions:
  - alert: {}
`,
  energy: `version: 1
id: energy
from: { type: power-meter }
window: { kind: tumbling, size: 15m, time: event }
aggregate: { kwh: delta(data.energy), peak: max(data.power), n: count() }
actions:
  - write: { measurement: energy_15m, fields: [kwh, peak, n] }
`,
  spike: `version: 1
id: spike
from: { type: power-meter }
window: { kind: sliding, size: 10s, time: event }
aggregate:
  p95: percentile(data.power, 95)
  hi: max(data.power)
when: "p95 > 3000.0"
actions:
  - alert: {}
`,
  silent: `version: 1
id: silent
kind: deadman
from: { type: climate-sensor }
silence: 2m
actions:
  - alert: {}
`,
}

function compile(id: string): CompiledRule {
  const out = compileRuleText(RULES[id] as string, `${id}.yaml`)
  if ('errors' in out) throw new Error(out.errors.map((e) => e.message).join('\n'))
  return out.rule
}

const counts = { alerts: 0, commands: 0, writes: 0, publishes: 0, deadLetters: 0, errors: 0 }
const effects: RuleEffects = {
  onAlertTransition: () => counts.alerts++,
  onCommand: () => counts.commands++,
  onWrite: () => counts.writes++,
  onPublish: () => counts.publishes++,
  onDeadLetter: () => counts.deadLetters++,
  onError: () => counts.errors++,
}

/** Pre-built events: the bench measures the engine, not object construction. */
function makeEvents(n: number, devices: number): Event[] {
  const out: Event[] = []
  const t0 = 1_700_000_000_000
  for (let i = 0; i < Math.min(n, 200_000); i++) {
    const d = i % devices
    const climate = d % 2 === 0
    const wave = Math.sin(i / 5000)
    out.push({
      device: `dev-${d}`,
      type: climate ? 'climate-sensor' : 'power-meter',
      stream: 'telemetry',
      time: t0 + i,
      received: t0 + i,
      data: climate
        ? { temperature: 29 + 3 * wave, humidity: 40 }
        : { power: 2500 + 600 * wave, energy: i / 1000 },
      tags: climate ? { site: 'greenhouse', zone: d % 4 === 0 ? 'north' : 'south' } : { circuit: 'c1' },
      source: 'mqtt',
      topic: climate ? `devices/dev-${d}/telemetry` : `devices/dev-${d}/power`,
    })
  }
  return out
}

/** Events per second of this process's CPU time (user + system): the machine is shared, so wall time lies. */
function shiftTime(e: Event, ms: number): void {
  e.time += ms
  e.received += ms
}

function run(rules: CompiledRule[], events: Event[], total: number): { cpu: number; wall: number } {
  let now = 1_700_000_000_000
  const engine = new RuleEngine({ effects, clock: () => now })
  engine.setRules(rules, now)
  const start = performance.now()
  const cpu0 = process.cpuUsage()
  for (let i = 0; i < total; i++) {
    const j = i % events.length
    // The pre-built events repeat, moved on in time (in place: the bench measures the engine).
    if (j === 0 && i > 0) for (const e of events) shiftTime(e, events.length)
    const e = events[j] as Event
    now = e.received
    engine.push(e, now)
    if ((i & 1023) === 0) engine.advanceTo(now) // the gateway ticks every 250 ms; here every 1024 events
  }
  const wall = (performance.now() - start) / 1000
  const cpu = process.cpuUsage(cpu0)
  return { cpu: total / ((cpu.user + cpu.system) / 1e6), wall: total / wall }
}

const fmt = (x: number) => Math.round(x).toLocaleString('en')
const ids = args.rules === 'all' ? Object.keys(RULES) : args.rules.split(',')
const rules = ids.map(compile)
const total = Number(args.events)
let events = makeEvents(total, Number(args.devices))
run(rules, events, Math.min(total, 300_000)) // warm-up: JIT
const runs: { cpu: number; wall: number }[] = []
for (let r = 0; r < 3; r++) {
  events = makeEvents(total, Number(args.devices)) // fresh times: each run starts from the same state
  runs.push(run(rules, events, total))
}
const rates = runs.map((r) => r.cpu).sort((a, b) => a - b)
const median = rates[1] as number
const walls = runs.map((r) => r.wall).sort((a, b) => a - b)
const result = {
  at: new Date().toISOString(),
  rules: ids,
  events: total,
  devices: Number(args.devices),
  eventsPerCpuSecond: Math.round(median),
  eventsPerWallSecond: Math.round(walls[1] as number),
  runs: runs.map((r) => ({ cpu: Math.round(r.cpu), wall: Math.round(r.wall) })),
  loadAverage: loadavg(),
  effects: counts,
  node: process.version,
}
process.stdout.write(
  `${ids.length} rules, ${total} events, ${args.devices} devices: ${fmt(median)} events per CPU second ` +
    `(runs ${rates.map(fmt).join(' / ')}); wall clock ${fmt(walls[1] as number)} events/s at load ${loadavg()[0]}\n` +
    `effects over all runs: ${JSON.stringify(counts)}\n`,
)
mkdirSync('bench/results', { recursive: true })
writeFileSync(`bench/results/rules-${Date.now()}.json`, `${JSON.stringify(result, null, 2)}\n`)
