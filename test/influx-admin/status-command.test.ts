import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { configFromObject } from '../../src/config/load.js'
import { adminClientFor } from '../../src/influx-admin/admin-client.js'
import { planFor } from '../../src/influx-admin/plan.js'
import { reconcile } from '../../src/influx-admin/reconcile.js'
import { type CommandOutput, runInfluxCommand } from '../../src/influx-admin/status-command.js'
import { runCli } from '../helpers/cli.js'
import { freePort } from '../helpers/free-port.js'
import { uniqueDatabase } from '../helpers/gateway.js'

const dir = mkdtempSync(join(tmpdir(), 'tidegate-influx-status-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const SHAPE = {
  retention: '30d',
  downsample: [
    { measurement: 'climate', every: '5m', keep: '365d', fields: { temperature: 'mean', humidity: 'mean' } },
  ],
}

function configFile(name: string, influx: Record<string, unknown>): string {
  const path = join(dir, name)
  writeFileSync(path, `influx: ${JSON.stringify(influx)}\n`)
  return path
}

/** The command in-process (spawning costs seconds each on a loaded machine; one case spawns the real CLI). */
async function status(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const io: CommandOutput = {
    stdout: (t) => {
      stdout += t
    },
    stderr: (t) => {
      stderr += t
    },
  }
  const code = await runInfluxCommand(['status', ...args], io)
  return { code, stdout, stderr }
}

describe('tidegate influx status', { timeout: 60_000 }, () => {
  it('prints database, policies, queries, series per measurement and disk use; exit 3 while the config is not applied, 0 once it is', async () => {
    const database = uniqueDatabase()
    const influx = { url: inject('influxUrl'), database, ...SHAPE, maxSeries: 10 }
    const section = configFromObject({ influx }).influx
    const client = adminClientFor(section)
    await client.createDatabase(database)
    await client.writePoints(
      [
        { measurement: 'climate', tags: { device: 'a' }, fields: { temperature: 1 } },
        { measurement: 'climate', tags: { device: 'b' }, fields: { temperature: 2 } },
        { measurement: 'power', tags: { device: 'a' }, fields: { power: 3 } },
      ],
      { database },
    )
    const file = configFile('status.yaml', influx)

    const before = await status(['--config', file])
    expect(before.code).toBe(3)
    expect(before.stdout).toContain('would be created retention policy tidegate_raw (30d, default)')

    await reconcile(client, planFor(section), { createDatabase: true })
    const r = await runCli(['influx', 'status', '--config', file], { cwd: dir })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`database  ${database} at ${inject('influxUrl')}`)
    expect(r.stdout).toMatch(/\n {2}tidegate_raw {2}30d {2}default {2}\(tidegate\)\n/)
    expect(r.stdout).toMatch(/\n {2}tidegate_365d {2}365d {2}\(tidegate\)\n/)
    expect(r.stdout).toMatch(/\n {2}autogen {2}INF\n/)
    expect(r.stdout).toMatch(/\n {2}tidegate_climate_5m_[0-9a-f]{8} {2}\(tidegate\)\n/)
    expect(r.stdout).toContain('series    3 (maxSeries 10)')
    expect(r.stdout).toMatch(/\n {2}climate {2}2\n {2}power {2}1\n/)
    expect(r.stdout).toMatch(/\ndisk {6}\d+(\.\d)? (B|KiB|MiB) \(autogen /)
    expect(r.stdout).toContain('config    applied (the database matches it)')

    const json = await status(['--json', '--config', file])
    const report = JSON.parse(json.stdout) as {
      seriesByMeasurement: Record<string, number>
      diskBytes: number
    }
    expect(report.seriesByMeasurement).toEqual({ climate: 2, power: 1 })
    expect(report.diskBytes).toBeGreaterThan(0)
  })

  it('InfluxDB not reachable, or the database missing: exit 1 with the reason', async () => {
    const port = await freePort()
    const down = await status(['--config', configFile('down.yaml', { url: `http://127.0.0.1:${port}` })])
    expect(down.code).toBe(1)
    expect(down.stderr).toMatch(
      new RegExp(`^TG_CLI_UNREACHABLE: influx status: cannot read http://127.0.0.1:${port}: .*ECONNREFUSED`),
    )
    const database = uniqueDatabase()
    const missing = await status([
      '--config',
      configFile('missing.yaml', { url: inject('influxUrl'), database }),
    ])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain(
      `TG_CLI_NOT_MANAGED: influx status: database "${database}" does not exist`,
    )
  })
})
