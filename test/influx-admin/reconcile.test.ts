import { describe, expect, inject, it } from 'vitest'
import { configFromObject } from '../../src/config/load.js'
import { adminClientFor } from '../../src/influx-admin/admin-client.js'
import { goDurationMs } from '../../src/influx-admin/durations.js'
import { type InfluxSection, planFor } from '../../src/influx-admin/plan.js'
import { continuousQueriesOf } from '../../src/influx-admin/queries.js'
import { reconcile } from '../../src/influx-admin/reconcile.js'
import { uniqueDatabase } from '../helpers/gateway.js'

const DAY = 86_400_000

/** The example config (the public contract), on a fresh database of the suite's influxd. */
function contract(database: string, overrides: Record<string, unknown> = {}): InfluxSection {
  return configFromObject({
    influx: {
      url: inject('influxUrl'),
      database,
      retention: '30d',
      downsample: [
        {
          measurement: 'climate',
          every: '5m',
          keep: '365d',
          fields: { temperature: 'mean', humidity: 'mean' },
        },
        { measurement: 'power', every: '15m', keep: '3y', fields: { power: 'mean', energy: 'last' } },
      ],
      maxSeries: 100000,
      ...overrides,
    },
  }).influx
}

async function shape(influx: InfluxSection) {
  const client = adminClientFor(influx)
  const policies = await client.showRetentionPolicies(influx.database)
  const queries = await continuousQueriesOf(client, influx.database)
  return {
    policies: Object.fromEntries(
      policies.map((p) => [p.name, { days: goDurationMs(p.duration) / DAY, default: p.default }]),
    ),
    queries: Object.fromEntries(queries.map((q) => [q.name, q.query])),
  }
}

describe('reconciling retention policies and continuous queries (real influxd)', () => {
  it('creates the database, the default raw policy, one policy per keep and one query per entry; a second run changes nothing', async () => {
    const influx = contract(uniqueDatabase())
    const client = adminClientFor(influx)
    const changes = await reconcile(client, planFor(influx), { createDatabase: true })
    expect(changes[0]).toBe(`created database ${influx.database}`)
    const s = await shape(influx)
    expect(s.policies['tidegate_raw']).toEqual({ days: 30, default: true })
    expect(s.policies['tidegate_365d']).toEqual({ days: 365, default: false })
    expect(s.policies['tidegate_3y']).toEqual({ days: 1095, default: false })
    const names = Object.keys(s.queries).sort()
    expect(names).toHaveLength(2)
    expect(names[0]).toMatch(/^tidegate_climate_5m_[0-9a-f]{8}$/)
    expect(names[1]).toMatch(/^tidegate_power_15m_[0-9a-f]{8}$/)
    const climate = s.queries[names[0] as string]
    expect(climate).toContain(
      `INTO ${influx.database}.tidegate_365d.climate FROM ${influx.database}.tidegate_raw.climate`,
    )
    expect(climate).toContain('mean(temperature) AS temperature, mean(humidity) AS humidity')
    expect(climate).toContain('GROUP BY time(5m), *')
    expect(s.queries[names[1] as string]).toContain('mean(power) AS power, last(energy) AS energy')

    expect(await reconcile(client, planFor(influx), { createDatabase: true })).toEqual([])
  })

  it('after a config change: removes what it created and the config no longer lists, leaves foreign policies and queries alone', async () => {
    const database = uniqueDatabase()
    const before = contract(database)
    const client = adminClientFor(before)
    await reconcile(client, planFor(before), { createDatabase: true })
    // Made by hand: must survive every reconciliation.
    await client.createRetentionPolicy('keepme', { database, duration: '2d', replication: 1 })
    await client.createContinuousQuery(
      'my_cq',
      `SELECT max("temperature") INTO "${database}"."keepme"."climate_max" FROM "${database}"."tidegate_raw"."climate" GROUP BY time(1h)`,
      database,
    )
    const old = await shape(before)

    // power is gone, climate now every 10m with a max of humidity, raw kept 7 days.
    const after = contract(database, {
      retention: '7d',
      downsample: [
        {
          measurement: 'climate',
          every: '10m',
          keep: '365d',
          fields: { temperature: 'mean', humidity: 'max' },
        },
      ],
    })
    const changes = await reconcile(client, planFor(after), { createDatabase: true })
    const s = await shape(after)
    expect(s.policies['tidegate_raw']).toEqual({ days: 7, default: true })
    expect(s.policies['tidegate_365d']).toEqual({ days: 365, default: false })
    expect(s.policies['tidegate_3y']).toBeUndefined()
    expect(s.policies['keepme']).toEqual({ days: 2, default: false })
    expect(s.queries['my_cq']).toBeDefined()
    const managed = Object.keys(s.queries).filter((n) => n.startsWith('tidegate_'))
    expect(managed).toHaveLength(1)
    expect(managed[0]).toMatch(/^tidegate_climate_10m_/)
    expect(s.queries[managed[0] as string]).toContain('max(humidity) AS humidity')
    for (const name of Object.keys(old.queries).filter((n) => n.startsWith('tidegate_')))
      expect(changes).toContain(`dropped continuous query ${name}`)
    expect(changes).toContain('dropped retention policy tidegate_3y')
    expect(changes).toContain('altered retention policy tidegate_raw (7d, default)')

    // Nothing of tidegate's listed any more: only its own names go; raw points are kept (INF), not dropped.
    const none = contract(database, { retention: undefined, downsample: [] })
    await reconcile(client, planFor(none), { createDatabase: true })
    const empty = await shape(none)
    expect(Object.keys(empty.queries)).toEqual(['my_cq'])
    expect(Object.keys(empty.policies).sort()).toEqual(['autogen', 'keepme', 'tidegate_raw'])
    expect(empty.policies['tidegate_raw']?.days).toBe(0)
  })

  it('a foreign policy that became the default stays the default and untouched', async () => {
    const database = uniqueDatabase()
    const influx = contract(database, { retention: undefined })
    const client = adminClientFor(influx)
    await client.createDatabase(database)
    await client.createRetentionPolicy('ops_rp', {
      database,
      duration: '14d',
      replication: 1,
      isDefault: true,
    })
    await reconcile(client, planFor(influx), { createDatabase: true })
    const s = await shape(influx)
    expect(s.policies['ops_rp']).toEqual({ days: 14, default: true })
    // Without influx.retention the queries read the database's default policy, named explicitly.
    expect(Object.values(s.queries).join('\n')).toContain(`FROM ${database}.ops_rp.climate`)
  })

  it('with createDatabase false a missing database is an error, and a dry run changes nothing', async () => {
    const influx = contract(uniqueDatabase(), { createDatabase: false })
    const client = adminClientFor(influx)
    await expect(reconcile(client, planFor(influx), { createDatabase: false })).rejects.toThrow(
      /does not exist \(influx.createDatabase is false\)/,
    )
    const dry = await reconcile(client, planFor(influx), { createDatabase: true, dryRun: true })
    expect(dry[0]).toBe(`created database ${influx.database}`)
    expect(await client.getDatabaseNames()).not.toContain(influx.database)
  })
})
