import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.js'

const dir = mkdtempSync(join(tmpdir(), 'tidegate-codes-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function file(name: string, text: string): string {
  const path = join(dir, name)
  mkdirSync(join(path, '..'), { recursive: true })
  writeFileSync(path, text)
  return path
}

// Real files in a temp folder, one mistake of each kind.
const badConfig = file('bad-config.yaml', 'catalog: ./devices\nhttp:\n  prot: 80\n')
const config = file('gateway.yaml', 'catalog: ./devices\nrules: ./rules\n')
file('devices/t.yaml', 'type: t\nmeasurement: m\nschema: { type: object }\n')
const badType = file(
  'devices/b.yaml',
  'type: b\nmeasurement: m\nschema: { type: object }\ntopics: ["x/#/y"]\n',
)
const registry = file('devices/registry.yaml', 'devices:\n  - id: d1\n    type: nope\n')
const badRule = file('rules/hot.yaml', 'version: 1\nid: hot\nfrom: { type: t }\nwhen: "data.t >"\n')
const badCode = file(
  'rules/broken.rule.mjs',
  'export default (events$, t) => {\n  return events$.pipe(\n    t.rx.map((e) => e +)\n  )\n}\n',
)
const noExport = file('rules/empty.rule.mjs', 'export const id = "empty"\n')

// Each case spawns the real CLI (a second or two each; more on a loaded machine).
describe('tidegate check: every error carries its code (docs/errors.md)', { timeout: 120_000 }, () => {
  it('a bad config: file:line:col, code, path and message; exit 1', async () => {
    const r = await runCli(['check', '--config', badConfig], { cwd: dir })
    expect(r.code).toBe(1)
    expect(r.stderr).toBe(`${badConfig}:3:3 TG_CONFIG_UNKNOWN_KEY /http/prot: unknown key "prot"\n`)
  })

  it('a bad device type, registry entry, YAML rule and code rules, each located with its code', async () => {
    const r = await runCli(['check', '--config', config], { cwd: dir })
    expect(r.code).toBe(1)
    const lines = r.stderr.trim().split('\n')
    expect(lines).toEqual(
      expect.arrayContaining([
        `${badType}:4:10 TG_CATALOG_TOPIC_INVALID /topics/0: "#" must be the last level`,
        `${registry}:3:11 TG_REGISTRY_UNKNOWN_TYPE /devices/0/type: unknown device type "nope" (known: t)`,
        expect.stringMatching(new RegExp(`^${badRule}:4:\\d+ TG_RULE_EXPRESSION /when: `)),
        expect.stringMatching(new RegExp(`^${badCode}:3:24 TG_RULE_CODE_LOAD: cannot load: `)),
        expect.stringMatching(new RegExp(`^${noExport}:1:1 TG_RULE_CODE_EXPORT: the default export must be`)),
      ]),
    )
    expect(lines.at(-1)).toBe(`${lines.length - 1} error(s)`)
  })

  it('--json: one document on stdout with every error and its code, same exit code', async () => {
    const bad = await runCli(['check', '--json', '--config', config], { cwd: dir })
    expect(bad.code).toBe(1)
    expect(bad.stderr).toBe('')
    const report = JSON.parse(bad.stdout) as {
      ok: boolean
      errors: { file: string; line: number; code: string; path: string }[]
    }
    expect(report.ok).toBe(false)
    expect(report.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          file: badType,
          line: 4,
          code: 'TG_CATALOG_TOPIC_INVALID',
          path: '/topics/0',
        }),
        expect.objectContaining({ file: badRule, line: 4, code: 'TG_RULE_EXPRESSION', path: '/when' }),
        expect.objectContaining({ file: badCode, line: 3, col: 24, code: 'TG_RULE_CODE_LOAD' }),
      ]),
    )
    const invalid = await runCli(['check', '--json', '--config', badConfig], { cwd: dir })
    expect(invalid.code).toBe(1)
    expect(JSON.parse(invalid.stdout)).toEqual({
      config: badConfig,
      ok: false,
      errors: [
        {
          file: badConfig,
          line: 3,
          col: 3,
          code: 'TG_CONFIG_UNKNOWN_KEY',
          path: '/http/prot',
          message: 'unknown key "prot"',
        },
      ],
    })
  })
})
