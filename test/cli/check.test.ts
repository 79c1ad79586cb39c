import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.js'

const repo = process.cwd()
const dir = mkdtempSync(join(tmpdir(), 'tidegate-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Runs the real CLI in the temp folder; never throws on a non-zero exit. */
function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return runCli(args, { cwd: dir, env })
}

function file(name: string, text: string): string {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

const GOOD_TYPE = 'type: t\nmeasurement: m\nschema: { type: object }\n'
mkdirSync(join(dir, 'good-devices'), { recursive: true })
file('good-devices/t.yaml', GOOD_TYPE)

// Each case spawns a process (about a second each; far more on a loaded machine, hence the timeouts).
describe('tidegate CLI', { timeout: 120_000 }, () => {
  it('--help and no arguments print usage, exit 0', async () => {
    for (const args of [['--help'], []]) {
      const r = await cli(args)
      expect(r.code).toBe(0)
      expect(r.stdout).toContain('tidegate run')
      expect(r.stdout).toContain('tidegate check')
    }
  })

  it('--version prints the package version', async () => {
    const r = await cli(['--version'])
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }
    expect(r).toMatchObject({ code: 0, stdout: `${pkg.version}\n` })
  })

  it('an unknown command or option is a usage error, exit 2', async () => {
    const a = await cli(['frobnicate'])
    expect(a.code).toBe(2)
    expect(a.stderr).toMatch(/^TG_CLI_USAGE: unknown command "frobnicate"\n/)
    const b = await cli(['check', '--nope'])
    expect(b.code).toBe(2)
    expect(b.stderr).toMatch(/^TG_CLI_USAGE: .*--nope/)
  })

  it('check: a valid config and catalog exit 0', async () => {
    const config = file('good.yaml', 'catalog: ./good-devices\n')
    const r = await cli(['check', '--config', config])
    expect(r.stderr).toBe('')
    expect(r).toMatchObject({ code: 0, stdout: `${config}: ok\n` })
  })

  it('check: every config error is listed with file:line:col path, exit 1', async () => {
    const config = file('bad.yaml', 'http:\n  port: x\ninflux:\n  flushInterval: soon\nbogus: 1\n')
    const r = await cli(['check', '--config', config])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`${config}:2:9 TG_CONFIG_INVALID /http/port: must be integer, not string "x"`)
    expect(r.stderr).toContain(
      `${config}:4:18 TG_CONFIG_INVALID /influx/flushInterval: invalid duration "soon"`,
    )
    expect(r.stderr).toContain(`${config}:5:1 TG_CONFIG_UNKNOWN_KEY /bogus: unknown key "bogus"`)
  })

  it('check: an error from an env override names the variable', async () => {
    const config = file('env.yaml', 'catalog: ./good-devices\n')
    const r = await cli(['check', '--config', config], { TIDEGATE_HTTP__PORT: 'eighty' })
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(
      'env TIDEGATE_HTTP__PORT TG_CONFIG_INVALID /http/port: must be integer, not string "eighty"',
    )
  })

  it('check: every catalog error across files is listed, exit 1', async () => {
    mkdirSync(join(dir, 'bad-devices'), { recursive: true })
    file('bad-devices/a.yaml', 'type: a\nmeasurement: m\nschema: { type: object }\ntopics: ["x/#/y"]\n')
    file('bad-devices/b.yaml', 'type: b\nmeasurement: [\n')
    file('bad-devices/c.yaml', GOOD_TYPE)
    const config = file('cat.yaml', 'catalog: ./bad-devices\n')
    const r = await cli(['check', '--config', config])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(
      /bad-devices\/a\.yaml:4:\d+ TG_CATALOG_TOPIC_INVALID \/topics\/0: "#" must be the last level/,
    )
    expect(r.stderr).toMatch(/bad-devices\/b\.yaml:\d+:\d+ TG_CATALOG_SYNTAX: /)
    expect(r.stderr).not.toContain('c.yaml')
  })

  it('check: a missing config file exits 1 and says so', async () => {
    const r = await cli(['check', '--config', join(dir, 'absent.yaml')])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`${join(dir, 'absent.yaml')} TG_CONFIG_UNREADABLE: cannot read file`)
  })

  it('the config path may come from TIDEGATE_CONFIG', async () => {
    const config = file('via-env.yaml', 'catalog: ./good-devices\n')
    const r = await cli(['check'], { TIDEGATE_CONFIG: config })
    expect(r).toMatchObject({ code: 0, stdout: `${config}: ok\n` })
  })
})
