/**
 * Heap per open window (run by `npm run bench:footprint -- --case windows`, or alone:
 * `node --expose-gc --import tsx bench/footprint/window-memory.ts`).
 *
 * One rule at a time on a RuleEngine (no broker, no I/O), fed one reading per key per second of event time
 * for 70 s, so every key's windows are full and open; the heap used (after full GCs) with 10 000 keys is
 * compared with 10 keys. Printed per key and per open window (the engine's own openWindows gauge).
 */
import type { Event } from '../../src/core/event.js'
import { compileRuleText } from '../../src/rules/compile.js'
import type { RuleEffects } from '../../src/rules/effects.js'
import { RuleEngine } from '../../src/rules/engine.js'

const RULES: Record<string, string> = {
  'hopping 60s/10s, avg+max+count': `version: 1
id: hopping
from: { type: climate-sensor }
window: { kind: hopping, size: 60s, every: 10s, time: event, lateness: 5s }
aggregate: { mean: avg(data.temperature), peak: max(data.temperature), n: count() }
when: "mean > 1000.0"
actions:
  - alert: {}
`,
  'tumbling 15m, delta+max+count': `version: 1
id: tumbling
from: { type: climate-sensor }
window: { kind: tumbling, size: 15m, time: event }
aggregate: { kwh: delta(data.temperature), peak: max(data.temperature), n: count() }
actions:
  - write: { measurement: m, fields: [kwh, peak, n] }
`,
  'sliding 60s, percentile+max (keeps values)': `version: 1
id: sliding
from: { type: climate-sensor }
window: { kind: sliding, size: 60s, time: event }
aggregate:
  p95: percentile(data.temperature, 95)
  hi: max(data.temperature)
when: "p95 > 1000.0"
actions:
  - alert: {}
`,
}

const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with node --expose-gc')
const none = () => {}
const effects: RuleEffects = {
  onAlertTransition: none,
  onCommand: none,
  onWrite: none,
  onPublish: none,
  onDeadLetter: none,
  onError: none,
}

function heapUsed(): number {
  for (let i = 0; i < 3; i++) gc?.()
  return process.memoryUsage().heapUsed
}

function fill(text: string, keys: number): { heap: number; open: number; engine: RuleEngine } {
  const out = compileRuleText(text, 'bench.yaml')
  if ('errors' in out) throw new Error(out.errors.map((e) => e.message).join('\n'))
  const t0 = 1_700_000_000_000
  let now = t0
  const engine = new RuleEngine({ effects, clock: () => now })
  engine.setRules([out.rule], now)
  const before = heapUsed()
  for (let s = 0; s < 70; s++) {
    for (let k = 0; k < keys; k++) {
      now = t0 + s * 1000 + k / keys
      const e: Event = {
        device: `dev-${k}`,
        type: 'climate-sensor',
        stream: 'telemetry',
        time: now,
        received: now,
        data: { temperature: 20 + (k % 7) },
        tags: {},
        source: 'mqtt',
        topic: `devices/dev-${k}/telemetry`,
      }
      engine.push(e, now)
    }
    engine.advanceTo(now)
  }
  const open = Object.values(engine.stats()).reduce((n, r) => n + (r.openWindows ?? 0), 0)
  return { heap: heapUsed() - before, open, engine }
}

const results: Record<string, { perKeyKB: number; perOpenWindowKB: number; openWindows: number }> = {}
for (const [name, text] of Object.entries(RULES)) {
  const few = fill(text, 10)
  few.engine.setRules([], Date.now())
  const many = fill(text, 10_000)
  const perKeyKB = (many.heap - few.heap) / 1024 / (10_000 - 10)
  const perOpenWindowKB = (many.heap - few.heap) / 1024 / Math.max(1, many.open - few.open)
  results[name] = { perKeyKB, perOpenWindowKB, openWindows: many.open }
  many.engine.setRules([], Date.now())
  process.stdout.write(
    `[windows] ${name}: ${perKeyKB.toFixed(2)} KB per key, ${perOpenWindowKB.toFixed(2)} KB per open window (${many.open} open with 10 000 keys)\n`,
  )
}
process.send?.({ windows: results })
