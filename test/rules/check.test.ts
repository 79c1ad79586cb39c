import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { configFromObject } from '../../src/config/load.js'
import { formatFileError } from '../../src/core/file-errors.js'
import { checkRuleFiles } from '../../src/rules/check-rules.js'

let dirs: string[] = []
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
  dirs = []
})

function rulesDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tidegate-check-rules-'))
  dirs.push(dir)
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  return dir
}

const check = async (dir: string) =>
  (await checkRuleFiles(configFromObject({ rules: dir, catalog: resolve('devices') }), process.cwd())).map(
    formatFileError,
  )

describe('tidegate check: rule files', () => {
  it('the shipped rules pass', async () => {
    expect(await check(resolve('rules'))).toEqual([])
  })

  it('lists every error of every file, and types the catalog does not have', async () => {
    const dir = rulesDir({
      'a.yaml': 'version: 1\nid: a\nfrom: { type: climate-sensor }\nwhen: "data.t >"\nseverity: loud\n',
      'b.yaml': 'version: 1\nid: b\nfrom: { type: toaster }\nwhen: "data.t > 1.0"\n',
      'c.yaml':
        'version: 1\nid: c\nfrom: { type: climate-sensor }\nwindow: { kind: session }\naggregate: { n: count() }\n',
    })
    expect(await check(dir)).toEqual([
      `${join(dir, 'a.yaml')}:5:11 TG_RULE_INVALID /severity: must be one of "info", "warning", "critical"`,
      `${join(dir, 'c.yaml')}:4:9 TG_RULE_SHAPE /window: a session window needs "gap"`,
      expect.stringMatching(
        /b\.yaml TG_RULE_UNKNOWN_TYPE \/from\/type: device type "toaster" is not in the catalog/,
      ),
    ])
  })

  it('a missing rules folder is no error (no rules)', async () => {
    expect(await check('/nonexistent/rules-folder')).toEqual([])
  })
})
