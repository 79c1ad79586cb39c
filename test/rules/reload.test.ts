import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { formatFileError } from '../../src/core/file-errors.js'
import { RuleEngine } from '../../src/rules/engine.js'
import { FolderWatcher } from '../../src/rules/folder-watcher.js'
import { RuleFolder } from '../../src/rules/rule-folder.js'
import { ev, recorder } from './harness.js'

const counting = (comment = '') => `version: 1 ${comment}
id: counting
from: { type: climate-sensor }
window: { kind: tumbling, size: 60s }
aggregate: { n: count() }
actions:
  - write: { measurement: counts, fields: [n] }
`
const hot = (limit: number) => `version: 1
id: hot
from: { type: climate-sensor }
when: "data.t > ${limit}.0"
actions:
  - alert: {}
`

let dirs: string[] = []
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
  dirs = []
})

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'tidegate-rules-'))
  dirs.push(dir)
  const rec = recorder()
  let now = 0
  const engine = new RuleEngine({ effects: rec.effects, clock: () => now })
  const folder = new RuleFolder(dir)
  const write = (name: string, text: string) => writeFileSync(join(dir, name), text)
  const reload = async () => {
    const load = await folder.load()
    return { ...load, change: engine.setRules(load.rules), text: load.errors.map(formatFileError) }
  }
  const send = (t: number, temp: number) => {
    now = t
    engine.push(ev('d1', { t: temp }), t)
  }
  const at = (t: number) => {
    now = t
    engine.advanceTo(t)
  }
  return { dir, rec, engine, write, reload, send, at }
}

describe('hot reload', () => {
  it('unchanged rules keep their window and alert state; a changed rule starts fresh', async () => {
    const s = setup()
    s.write('counting.yaml', counting())
    s.write('hot.yaml', hot(30))
    await s.reload()
    s.send(1000, 31)
    s.send(2000, 31)
    expect(s.rec.alerts.map((a) => a.state)).toEqual(['firing'])
    s.write('counting.yaml', counting('# a comment does not change the rule'))
    const r = await s.reload()
    expect(r.change).toMatchObject({ unchanged: ['counting', 'hot'], changed: [] })
    s.send(3000, 31)
    s.at(60_000)
    expect(s.rec.writes.map((w) => w.point.fields.n)).toEqual([3]) // the window kept its 2 events
    expect(s.rec.alerts.map((a) => a.state)).toEqual(['firing']) // still firing, no new notification

    s.write('hot.yaml', hot(40))
    expect((await s.reload()).change).toMatchObject({ changed: ['hot'], unchanged: ['counting'] })
    // The old version's firing alert is resolved; the new version judges afresh.
    expect(s.rec.alerts.map((a) => a.state)).toEqual(['firing', 'resolved'])
    s.send(61_000, 35)
    expect(s.rec.alerts).toHaveLength(2)
  })

  it('a bad edit keeps the old rule running with its state and reports file:line:col', async () => {
    const s = setup()
    s.write('counting.yaml', counting())
    await s.reload()
    s.send(1000, 20)
    s.write('counting.yaml', counting().replace('count()', 'count(data.t >)'))
    const r = await s.reload()
    expect(r.text).toEqual([
      `${join(s.dir, 'counting.yaml')}:5:31 TG_RULE_EXPRESSION /aggregate/n: Unexpected token: EOF`,
    ])
    expect(r.keptOld).toEqual([join(s.dir, 'counting.yaml')])
    expect(r.change).toMatchObject({ unchanged: ['counting'] })
    s.send(2000, 20)
    s.at(60_000)
    expect(s.rec.writes.map((w) => w.point.fields.n)).toEqual([2])
  })

  it('a new file with errors is reported and left out; the others load', async () => {
    const s = setup()
    s.write('counting.yaml', counting())
    s.write('broken.yaml', 'version: 1\nid: broken\nfrom: {}\nwhen: "data.t >"\n')
    const r = await s.reload()
    expect(r.rules.map((x) => x.id)).toEqual(['counting'])
    expect(r.text).toEqual([
      `${join(s.dir, 'broken.yaml')}:4:16 TG_RULE_EXPRESSION /when: Unexpected token: EOF`,
    ])
  })

  it('a removed rule resolves its firing alerts', async () => {
    const s = setup()
    s.write('hot.yaml', hot(30))
    await s.reload()
    s.send(1000, 31)
    unlinkSync(join(s.dir, 'hot.yaml'))
    s.at(5000)
    expect((await s.reload()).change.removed).toEqual(['hot'])
    expect(s.rec.alerts.map((a) => `${a.state}@${a.at}`)).toEqual(['firing@1000', 'resolved@5000'])
  })

  it('a duplicate id in a second file is an error of that file', async () => {
    const s = setup()
    s.write('a.yaml', hot(30))
    s.write('b.yaml', hot(31))
    const r = await s.reload()
    expect(r.rules).toHaveLength(1)
    expect(r.text[0]).toMatch(
      /b\.yaml:1:1 TG_RULE_DUPLICATE_ID \/id: rule id "hot" is already used by .*a\.yaml/,
    )
  })

  it('the folder watcher calls back once after a burst of changes (real fs)', async () => {
    const s = setup()
    let calls = 0
    const watcher = new FolderWatcher(s.dir, 100, () => calls++)
    watcher.start()
    try {
      s.write('x.yaml', hot(30))
      s.write('x.yaml', hot(31))
      s.write('y.yaml', hot(32))
      const until = Date.now() + 3000
      while (calls === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20))
      await new Promise((r) => setTimeout(r, 250))
      expect(calls).toBe(1)
    } finally {
      watcher.stop()
    }
  })
})
