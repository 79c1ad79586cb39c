import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { Event } from '../../src/core/event.js'
import { RuleEngine } from '../../src/rules/engine.js'
import { loadRulesDir } from '../../src/rules/load.js'
import { recorder } from './harness.js'

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})
function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tidegate-code-rules-'))
  dirs.push(dir)
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  return dir
}

const fan = (device: string, zone: string, on: boolean, t: number): Event => ({
  device,
  type: 'fan',
  stream: 'telemetry',
  time: t,
  received: t,
  data: { on },
  tags: { zone },
  source: 'mqtt',
  topic: `devices/${device}/state`,
})
const meter = (device: string, zone: string, power: number, t: number): Event => ({
  device,
  type: 'power-meter',
  stream: 'telemetry',
  time: t,
  received: t,
  data: { power },
  tags: { zone, load: 'fan', site: 'greenhouse' },
  source: 'mqtt',
  topic: `devices/${device}/power`,
})

async function engineFor(dir: string) {
  const load = await loadRulesDir(dir)
  const rec = recorder()
  let now = 0
  const engine = new RuleEngine({ effects: rec.effects, clock: () => now })
  engine.setRules(load.rules)
  const at = (t: number) => {
    now = t
    engine.advanceTo(t)
  }
  const push = (e: Event) => {
    now = e.received
    engine.push(e, now)
  }
  return { load, rec, engine, at, push }
}

describe('rules in code (rules/*.rule.mjs)', () => {
  it('the shipped example joins fans and power meters: on at ~0 W for 30 s alerts per zone', async () => {
    const { load, rec, at, push, engine } = await engineFor('rules')
    expect(load.errors).toEqual([])
    expect(load.rules.map((r) => r.id)).toContain('fan-without-power')
    push(fan('north-fan-1', 'north', true, 1000))
    push(meter('north-fan', 'north', 0.4, 2000))
    push(meter('south-fan', 'south', 0.2, 2000)) // no fan state from the south: no join, no alert
    for (let t = 2000; t <= 40_000; t += 250) at(t)
    push(meter('north-fan', 'north', 61, 41_000))
    const mine = rec.alerts.filter((a) => a.rule === 'fan-without-power')
    expect(mine.map((a) => `${a.key}:${a.state}@${a.at}`)).toEqual([
      'north:pending@2000',
      'north:firing@32000',
      'north:resolved@41000',
    ])
    expect(mine[1]).toMatchObject({
      severity: 'critical',
      device: 'north-fan-1',
      previous: 'pending',
      values: { watts: 0.4 },
    })
    expect(mine[1]?.message).toBe('fan north-fan-1 (north) is on but draws 0.4 W')
    expect(engine.stats()['fan-without-power']).toMatchObject({ alerts: 3, errors: 0 })
  })

  it('commands, writes and publishes take the same path as YAML actions; shadow mode sends no command', async () => {
    const rule = (mode: string) => `export const mode = '${mode}'
export default (events$, t) => events$.pipe(
  t.rx.mergeMap((e) => [
    t.ops.command({ device: e.device + '-relay', name: 'set', params: { on: false }, minInterval: 10000 }),
    t.ops.write({ measurement: 'seen', tags: { device: e.device }, fields: { n: 1 } }),
    t.ops.publish({ topic: 'ops/' + e.device, payload: { t: e.data.t } }),
  ]),
)
`
    const { rec, push, at } = await engineFor(
      folder({ 'live.rule.mjs': rule('live'), 'trial.rule.mjs': rule('shadow') }),
    )
    push(fan('d1', 'z', true, 1000))
    push(fan('d1', 'z', true, 2000)) // inside the live rule's 10 s interval: held, sent when it ends
    at(12_000)
    expect(rec.commands.map((c) => `${c.source} ${c.device} ${c.at}`)).toEqual([
      'rule:live d1-relay 1000',
      'rule:live d1-relay 12000',
    ])
    expect(rec.writes.map((w) => w.point.measurement)).toEqual(['seen', 'seen_shadow', 'seen', 'seen_shadow'])
    expect(rec.writes[0]?.point.tags).toEqual({ rule: 'live', device: 'd1' })
    expect(rec.publishes.map((p) => p.topic)).toContain('tidegate/shadow/ops/d1')
  })

  it('a file that fails to load or throws while building is reported with file:line', async () => {
    const dir = folder({
      'syntax.rule.mjs':
        'export default (events$, t) => {\n  return events$.pipe(\n    t.rx.map((e) => e +)\n  )\n}\n',
      'throws.rule.mjs':
        'export default (events$, t) => {\n  const x = 1\n  throw new Error("no zone map")\n}\n',
      'nothing.rule.mjs': 'export const id = "x"\n',
      'typed.rule.ts':
        'import type { Observable } from "rxjs"\nexport default (events$: Observable<unknown>, t: any): Observable<unknown> => {\n  const n: number = 1\n  throw new Error("typed " + n)\n}\n',
    })
    const load = await loadRulesDir(dir)
    const text = load.errors.map((e) => `${e.file.slice(dir.length + 1)}:${e.line} ${e.code} ${e.message}`)
    expect(text).toContainEqual(expect.stringMatching(/^syntax\.rule\.mjs:3 TG_RULE_CODE_LOAD cannot load: /))
    expect(text).toContainEqual('throws.rule.mjs:3 TG_RULE_BUILD building the pipeline threw: no zone map')
    expect(text).toContainEqual(
      expect.stringMatching(
        /^nothing\.rule\.mjs:1 TG_RULE_CODE_EXPORT the default export must be a function/,
      ),
    )
    // A .rule.ts is compiled with esbuild at load; its errors name the file and its own line (source map).
    expect(text).toContainEqual('typed.rule.ts:4 TG_RULE_BUILD building the pipeline threw: typed 1')
    expect(load.rules).toEqual([])
  })

  it('an error inside a running pipeline is counted and the rule resubscribed with backoff; other rules go on', async () => {
    const dir = folder({
      'fragile.rule.mjs': `export default (events$, t) => events$.pipe(
  t.rx.map((e) => {
    if (e.data.on === false) throw new Error('bad reading')
    return t.ops.publish({ topic: 'ok/' + e.device, payload: 'x' })
  }),
)
`,
      'steady.rule.mjs': `export default (events$, t) => events$.pipe(t.rx.map((e) => t.ops.publish({ topic: 'steady/' + e.device, payload: 'x' })))\n`,
    })
    const { rec, push, at, engine } = await engineFor(dir)
    push(fan('d1', 'z', false, 1000)) // fragile throws
    push(fan('d2', 'z', true, 1500)) // fragile is backing off: missed; steady goes on
    at(2000) // 1 s backoff over: resubscribed
    push(fan('d3', 'z', true, 2500))
    expect(rec.publishes.map((p) => p.topic)).toEqual(['steady/d1', 'steady/d2', 'ok/d3', 'steady/d3'])
    expect(engine.stats().fragile?.errors).toBe(1)
    expect(rec.errors[0]?.message).toMatch(/fragile\.rule\.mjs:3:\d+: bad reading$/)
  })
})
