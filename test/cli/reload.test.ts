import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, inject, it } from 'vitest'
import { configFromObject } from '../../src/config/load.js'
import { adminClientFor } from '../../src/influx-admin/admin-client.js'
import { continuousQueriesOf } from '../../src/influx-admin/queries.js'
import { useCleanup } from '../helpers/cleanup.js'
import { uniqueDatabase } from '../helpers/gateway.js'
import { startGatewayProcess } from '../helpers/gateway-process.js'

const repo = process.cwd()
const cleanup = useCleanup()

async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await read()
    if (done(v) || Date.now() > end) return v
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('SIGHUP reloads the config', { timeout: 120_000 }, () => {
  it('retention and downsampling follow the edited file; a broken file is refused and changes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tidegate-reload-'))
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }))
    mkdirSync(join(dir, 'rules'))
    const database = uniqueDatabase()
    const config = join(dir, 'gateway.yaml')
    const write = (shape: string) =>
      writeFileSync(
        config,
        [
          'mqtt: { listeners: [{ host: 127.0.0.1, port: 0 }] }',
          `influx: { url: "${inject('influxUrl')}", database: ${database}, ${shape} }`,
          `catalog: ${join(repo, 'devices')}`,
          `rules: ${join(dir, 'rules')}`,
          'http: { host: 127.0.0.1, port: 0 }',
          `dataDir: ${join(dir, 'data')}`,
          '',
        ].join('\n'),
      )
    write(
      'retention: 30d, downsample: [{ measurement: power, every: 15m, keep: 3y, fields: { power: mean, energy: last } }]',
    )
    const gw = await startGatewayProcess(config, dir)
    cleanup.push(gw.kill)
    const client = adminClientFor(configFromObject({ influx: { url: inject('influxUrl'), database } }).influx)
    const policies = async () => {
      const dbs = await client.getDatabaseNames()
      return dbs.includes(database)
        ? (await client.showRetentionPolicies(database)).map((p) => p.name).sort()
        : []
    }
    expect(await until(policies, (p) => p.includes('tidegate_3y'))).toEqual([
      'autogen',
      'tidegate_3y',
      'tidegate_raw',
    ])

    write(
      'retention: 7d, downsample: [{ measurement: climate, every: 5m, keep: 365d, fields: { temperature: mean } }]',
    )
    process.kill(gw.child.pid, 'SIGHUP')
    expect(await until(policies, (p) => p.includes('tidegate_365d') && !p.includes('tidegate_3y'))).toEqual([
      'autogen',
      'tidegate_365d',
      'tidegate_raw',
    ])
    const queries = (await continuousQueriesOf(client, database)).map((q) => q.name)
    expect(queries).toHaveLength(1)
    expect(queries[0]).toMatch(/^tidegate_climate_5m_/)

    write('retention: 7 days')
    process.kill(gw.child.pid, 'SIGHUP')
    await until(
      async () => gw.output(),
      (o) => o.includes('config reload refused'),
    )
    expect(gw.output()).toMatch(
      /gateway\.yaml:2:\d+ TG_CONFIG_INVALID \/influx\/retention: invalid value \\"7 days\\"/,
    )
    expect(gw.output()).toMatch(/"codes":\["TG_CONFIG_INVALID"\],"msg":"config reload refused/)
    expect(await policies()).toEqual(['autogen', 'tidegate_365d', 'tidegate_raw'])

    process.kill(gw.child.pid, 'SIGTERM')
    expect(await gw.exited).toBe(0)
  })
})
