import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config/load.js'
import { loadCatalog } from '../../src/devices/catalog.js'
import { Normalizer } from '../../src/ingest/normalize.js'
import { journalDir } from '../../src/journal/extension.js'
import { readJournal } from '../../src/journal/reader.js'
import { journalInputs, type ReplayInput } from '../../src/journal/recording.js'
import { diffAlerts } from '../../src/replay/diff.js'
import { toJsonLines } from '../../src/replay/outcome.js'
import { ingestFor } from '../../src/replay/replay-ingest.js'
import { runReplay } from '../../src/replay/run.js'
import { loadRulesDir } from '../../src/rules/index.js'
import { useCleanup } from '../helpers/cleanup.js'
import { startTestGateway } from '../helpers/gateway.js'
import { collect, connectClient } from '../helpers/mqtt.js'

const exec = promisify(execFile)
const dirs: string[] = []
const cleanup = useCleanup()
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function rulesDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tidegate-rules-'))
  dirs.push(dir)
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  return dir
}

const HOT = (threshold: number, mode = 'live') => `version: 1
id: hot
mode: ${mode}
from: { type: climate-sensor }
when: "data.temperature > ${threshold}.0"
clear: "data.temperature < ${threshold - 2}.0"
severity: warning
actions:
  - alert: { message: "{{device}} hot" }
  - command: { device: "{{device}}-fan", name: set, params: { on: true }, onClear: { params: { on: false } }, minInterval: 0s }
`

const normalizer = new Normalizer(loadCatalog('devices').catalog, { deviceTopicPrefix: 'devices/' })

/** A sensor warming up and cooling down twice: 1 reading a second from t0. */
function recording(t0: number): ReplayInput[] {
  const temps = [20, 25, 31, 33, 32, 27, 25, 29, 34, 35, 24, 22]
  return temps.map((temperature, i) => ({
    kind: 'mqtt',
    ts: t0 + i * 1000,
    topic: 'devices/s1/telemetry',
    payload: Buffer.from(JSON.stringify({ temperature, ts: t0 + i * 1000 })),
  }))
}

describe('replay', () => {
  it('replaying the journal of a live run gives the alerts the live run produced', async () => {
    const rules = rulesDir({ 'hot.yaml': HOT(30) })
    const { gateway, mqttUrl, config } = await startTestGateway({ rules, journal: { flushInterval: '20ms' } })
    let stopped = false
    cleanup.push(async () => {
      if (!stopped) await gateway.stop()
    })
    const watcher = await connectClient(mqttUrl)
    cleanup.push(() => watcher.endAsync())
    const alerts = await collect(watcher, 'alerts/#')
    const device = await connectClient(mqttUrl)
    cleanup.push(() => device.endAsync())
    for (const r of recording(Date.now())) {
      if (r.kind === 'mqtt') await device.publishAsync(r.topic, r.payload, { qos: 1 })
    }
    await alerts.next(4)
    const live = alerts.messages.map(
      (m) => JSON.parse(m.payload.toString()) as { rule: string; key: string; state: string },
    )
    await gateway.stop()
    stopped = true

    const inputs = journalInputs(readJournal(journalDir({ config, path: (p) => p })))
    // the journal holds every accepted event: the 12 readings, plus availability events of the registry feature
    expect(inputs.filter((i) => i.kind === 'event' && i.event.stream === 'telemetry')).toHaveLength(12)
    const replayed = await runReplay(inputs, { rules: (await loadRulesDir(rules)).rules, normalizer })
    const replayAlerts = replayed.outcomes
      .filter((o) => o.kind === 'alert')
      .map((o) => [o.rule, o.key, o.state])
    expect(replayAlerts).toEqual(live.map((a) => [a.rule, a.key, a.state]))
    expect(replayAlerts.map((a) => a[2])).toEqual(['firing', 'resolved', 'firing', 'resolved'])
    // what would have been commanded, without sending anything
    expect(
      replayed.outcomes
        .filter((o) => o.kind === 'command')
        .map((o) => (o.kind === 'command' ? o.params : null)),
    ).toEqual([{ on: true }, { on: false }, { on: true }, { on: false }])
  })

  it('is deterministic: the same input and rules give byte-identical output', async () => {
    const rules = (await loadRulesDir(rulesDir({ 'hot.yaml': HOT(30) }))).rules
    const a = await runReplay(recording(1_700_000_000_000), { rules, normalizer })
    const b = await runReplay(recording(1_700_000_000_000), { rules, normalizer })
    expect(toJsonLines(a.outcomes)).toBe(toJsonLines(b.outcomes))
    expect(a.outcomes.length).toBeGreaterThan(0)
  })

  it('recorded MQTT passes the same ingest gates as live traffic: a repeated seq is a duplicate', async () => {
    const rules = (await loadRulesDir(rulesDir({ 'hot.yaml': HOT(30) }))).rules
    const t0 = 1_700_000_000_000
    const reading = (i: number, seq: number): ReplayInput => ({
      kind: 'mqtt',
      ts: t0 + i * 1000,
      topic: 'devices/s1/telemetry',
      payload: Buffer.from(JSON.stringify({ temperature: 20, ts: t0 + seq * 1000, seq })),
    })
    const input = [reading(0, 1), reading(1, 2), reading(2, 2), reading(3, 3)]
    const config = loadConfig(join(rulesDir({ 'gateway.yaml': '' }), 'gateway.yaml')).config
    const gated = await runReplay(input, {
      rules,
      ...ingestFor(loadCatalog('devices').catalog, '/none', config),
    })
    expect(gated.events).toBe(3)
    expect(gated.deadLetters).toEqual({ duplicate: 1 })
  })

  it('--diff on a changed threshold lists exactly the changed alerts', async () => {
    const before = (await loadRulesDir(rulesDir({ 'hot.yaml': HOT(30) }))).rules
    const after = (await loadRulesDir(rulesDir({ 'hot.yaml': HOT(32) }))).rules
    const input = recording(1_700_000_000_000)
    const a = await runReplay(input, { rules: before, normalizer })
    const b = await runReplay(input, { rules: after, normalizer })
    const diff = diffAlerts(a.outcomes, b.outcomes)
    // threshold 30: fires at 31 (t+2s), resolves at 27 (t+5s), fires at 34 (t+8s), resolves at 24 (t+10s)
    // threshold 32: fires at 33 (t+3s), resolves at 27 (t+5s), fires at 34 (t+8s), resolves at 24 (t+10s)
    expect(diff).toHaveLength(1)
    expect(diff[0]).toMatchObject({
      change: 'moved',
      deltaMs: 1000,
      after: { rule: 'hot', key: 's1', state: 'firing' },
    })
  })

  it('the CLI replays a recording file, prints JSON lines and says by exit code that something fired', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tidegate-rec-'))
    dirs.push(dir)
    const file = join(dir, 'rec.jsonl')
    const lines = recording(1_700_000_000_000).map((r) =>
      r.kind === 'mqtt'
        ? JSON.stringify({ ts: r.ts, topic: r.topic, payload: JSON.parse(r.payload.toString()) })
        : '',
    )
    writeFileSync(
      file,
      `${lines.join('\n')}\n{"ts": 5, "topic": "devices/s1/telemetry", "payload": "{broken"}\n`,
    )
    const before = rulesDir({ 'hot.yaml': HOT(30) })
    const after = rulesDir({ 'hot.yaml': HOT(40) })
    mkdirSync(join(dir, 'data'))
    const cli = ['--import', 'tsx', 'src/cli/main.ts', 'replay', '--format', 'json', '--rules', before, file]
    const run = await exec(process.execPath, cli).catch(
      (e: { code: number; stdout: string; stderr: string }) => e,
    )
    expect((run as { code?: number }).code).toBe(1)
    const out = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; state?: string })
    expect(out.filter((o) => o.kind === 'alert').map((o) => o.state)).toEqual([
      'firing',
      'resolved',
      'firing',
      'resolved',
    ])
    expect(run.stderr).toContain('invalid_json=1')
    const quiet = await exec(process.execPath, [...cli.slice(0, -2), after, file])
    expect(quiet.stdout).toBe('') // threshold 40: nothing fires, exit 0 (exec would have thrown)
  })

  it('the CLI answers unreadable input and bad options with exit 2 and a plain message', async () => {
    const cli = ['--import', 'tsx', 'src/cli/main.ts', 'replay']
    const missing = await exec(process.execPath, [...cli, '/nonexistent/recording.jsonl']).catch(
      (e: { code: number; stderr: string }) => e,
    )
    expect((missing as { code?: number }).code).toBe(2)
    expect(missing.stderr).toContain('TG_REPLAY_INPUT: cannot read /nonexistent/recording.jsonl')
    const badTail = await exec(process.execPath, [
      ...cli,
      '--tail',
      'soon',
      'docs/examples/overheat.jsonl',
    ]).catch((e: { code: number; stderr: string }) => e)
    expect((badTail as { code?: number }).code).toBe(2)
    expect(badTail.stderr).toContain('TG_CLI_USAGE: --tail must be a duration')
  })

  it('a shadow rule alerts under tidegate/shadow/ and never sends a command', async () => {
    const rules = rulesDir({ 'hot.yaml': HOT(30, 'shadow') })
    const { gateway, mqttUrl } = await startTestGateway({ rules })
    cleanup.push(() => gateway.stop())
    const watcher = await connectClient(mqttUrl)
    cleanup.push(() => watcher.endAsync())
    const shadow = await collect(watcher, 'tidegate/shadow/#')
    const commands: string[] = []
    const live: string[] = []
    watcher.on('message', (topic) => {
      if (topic.includes('/commands/')) commands.push(topic)
      if (topic.startsWith('alerts/')) live.push(topic)
    })
    await watcher.subscribeAsync(['devices/+/commands/#', 'alerts/#'])
    const device = await connectClient(mqttUrl)
    cleanup.push(() => device.endAsync())
    for (const r of recording(Date.now()))
      if (r.kind === 'mqtt') await device.publishAsync(r.topic, r.payload, { qos: 1 })
    await shadow.next(4)
    expect(shadow.messages[0]?.topic).toBe('tidegate/shadow/alerts/hot/s1')
    await new Promise((r) => setTimeout(r, 300))
    expect(commands).toEqual([])
    expect(live).toEqual([])
  })
})
