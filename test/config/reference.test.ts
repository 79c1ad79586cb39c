import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { applyEnvOverrides } from '../../src/config/env-overrides.js'
import { configSchemaView, loadConfig } from '../../src/config/load.js'
import { referenceMarkdown, referenceRows, withReference } from '../../src/config/reference.js'

describe('docs/config.md key reference', () => {
  it('matches the schema (run `npm run docs:config` after changing a config section)', () => {
    const doc = readFileSync('docs/config.md', 'utf8')
    // Cell by cell, so a markdown formatter re-aligning the table does not matter.
    const cells = (md: string) =>
      md
        .split('\n')
        .filter((l) => l.startsWith('|') && !/^\|[\s|:-]+\|$/.test(l))
        .map((l) => l.split(/(?<!\\)\|/).map((c) => c.trim()))
    expect(cells(doc)).toEqual(cells(withReference(doc)))
  })

  it('lists the public contract keys of the foundation', () => {
    const keys = referenceRows().map((r) => r.key)
    for (const k of [
      'mqtt.listeners',
      'influx.url',
      'influx.database',
      'catalog',
      'rules',
      'http.host',
      'dataDir',
    ])
      expect(keys).toContain(k)
    expect(referenceMarkdown()).toContain(
      '| `influx.url` | string | `http://127.0.0.1:8086` | `TIDEGATE_INFLUX__URL` |',
    )
  })

  it('every documented variable names its key (list and named entries use index 0 / <NAME>)', () => {
    const rows = referenceRows()
    expect(rows.length).toBeGreaterThan(50)
    for (const row of rows) {
      const env = row.env.replace('<NAME>', 'someName')
      const [applied] = applyEnvOverrides({}, { [env]: 'x' }, configSchemaView)
      const expected = row.key.replace(/\[\]/g, '.0').replace('<name>', 'somename')
      expect(applied?.path.join('.'), row.env).toBe(expected)
    }
  })

  it('a documented variable sets its value', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tidegate-ref-'))
    try {
      const file = join(dir, 'empty.yaml')
      writeFileSync(file, '')
      const { config } = loadConfig(file, {
        TIDEGATE_INFLUX__CONCURRENCY: '3',
        TIDEGATE_JOURNAL__FSYNC: 'true',
      })
      expect(config.influx.concurrency).toBe(3)
      expect(config.journal.fsync).toBe(true)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
