import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ReadinessReport } from '../../src/observability/readiness.js'
import { InfluxHttpClient } from '../../src/sinks/influx/http-client.js'
import { useCleanup } from '../helpers/cleanup.js'
import { queryUntil, startTestGateway, uniqueDatabase } from '../helpers/gateway.js'
import { type InfluxdHandle, startInfluxd } from '../helpers/influxd.js'
import { connectClient } from '../helpers/mqtt.js'
import { fastShapeExtensions, statusUntil } from './helpers.js'

const cleanup = useCleanup()

// One influxd for this file: authentication on, continuous queries running every second.
let influxd: InfluxdHandle
const ADMIN = { username: 'admin', password: 'admin-pw' }

async function influxql(q: string, user = ADMIN): Promise<unknown> {
  const auth = new URLSearchParams({ u: user.username, p: user.password })
  const res = await fetch(`${influxd.url}/query?${auth}`, {
    method: 'POST',
    body: new URLSearchParams({ q }),
  })
  const json = (await res.json()) as { results?: { error?: string }[]; error?: string }
  const err = json.error ?? json.results?.find((r) => r.error)?.error
  if (err) throw new Error(`${q}: ${err}`)
  return json
}

function adminReader(database: string): InfluxHttpClient {
  return new InfluxHttpClient({ url: influxd.url, database, timeoutMs: 10_000, ...ADMIN })
}

beforeAll(async () => {
  influxd = await startInfluxd({ auth: true, continuousQueries: { runInterval: '1s' } })
  // With auth on and no users yet, InfluxDB accepts exactly this: the first admin.
  await influxql(`CREATE USER ${ADMIN.username} WITH PASSWORD '${ADMIN.password}' WITH ALL PRIVILEGES`)
})
afterAll(() => influxd?.stop())

const CLIMATE = { measurement: 'climate', every: '1s', keep: '1d', fields: { temperature: 'mean' } }

async function readyz(port: number): Promise<ReadinessReport> {
  return (await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as ReadinessReport
}

describe('InfluxDB shape feature: rights, outages, continuous queries (influxd with auth)', () => {
  it('a user without admin rights: ingest goes on, the refusal is in /readyz, retried until an admin grants the rights', async () => {
    const database = uniqueDatabase()
    await influxql(`CREATE DATABASE ${database}`)
    await influxql(`CREATE USER writer_${database} WITH PASSWORD 'w'`)
    await influxql(`GRANT ALL ON ${database} TO writer_${database}`)
    const { gateway, mqttUrl } = await startTestGateway(
      {
        influx: {
          url: influxd.url,
          database,
          username: `writer_${database}`,
          password: 'w',
          retention: '30d',
          downsample: [CLIMATE],
        },
      },
      { extensions: fastShapeExtensions() },
    )
    cleanup.push(() => gateway.stop())
    const refused = await statusUntil(gateway, (s) => s.failures >= 2)
    expect(refused.state).toBe('retrying')
    expect(refused.lastError).toMatch(/admin privilege/)
    const ready = await readyz(gateway.http.address.port)
    expect(ready.ready).toBe(true)
    expect(ready.checks['influxAdmin']).toMatchObject({
      state: 'retrying',
      lastError: expect.stringMatching(/admin/),
    })

    const client = await connectClient(mqttUrl)
    cleanup.push(() => client.endAsync())
    await client.publishAsync('devices/w1/telemetry', JSON.stringify({ temperature: 21.5 }), { qos: 1 })
    const written = await queryUntil(
      adminReader(database),
      'SELECT temperature FROM climate',
      (r) => r.length > 0,
    )
    expect(written.rows).toHaveLength(1)

    await influxql(`GRANT ALL PRIVILEGES TO writer_${database}`)
    const applied = await statusUntil(gateway, (s) => s.state === 'applied')
    expect(applied.state).toBe('applied')
    expect(applied.lastError).toBeNull()
    expect(applied.lastChanges).toContain('created retention policy tidegate_raw (30d, default)')
  })

  it('InfluxDB down at start: the gateway starts and takes data; once InfluxDB is up the config is applied and the data delivered', async () => {
    const database = uniqueDatabase()
    await influxd.stop({ keepData: true })
    let up = false
    cleanup.push(async () => {
      if (!up) await influxd.restart()
    })
    const { gateway, mqttUrl } = await startTestGateway(
      { influx: { url: influxd.url, database, ...ADMIN, retention: '7d', downsample: [CLIMATE] } },
      { extensions: fastShapeExtensions() },
    )
    cleanup.push(() => gateway.stop())
    const down = await statusUntil(gateway, (s) => s.failures >= 2)
    expect(down.state).toBe('retrying')
    expect(down.lastError).toMatch(/ECONNREFUSED|No host available/)
    expect((await readyz(gateway.http.address.port)).checks['influxAdmin']).toMatchObject({
      state: 'retrying',
    })

    const client = await connectClient(mqttUrl)
    cleanup.push(() => client.endAsync())
    await client.publishAsync('devices/o1/telemetry', JSON.stringify({ temperature: 5 }), { qos: 1 })

    await influxd.restart()
    up = true
    const applied = await statusUntil(gateway, (s) => s.state === 'applied', 15_000)
    expect(applied.state).toBe('applied')
    const policies = (await influxql(`SHOW RETENTION POLICIES ON ${database}`)) as {
      results: { series: { values: unknown[][] }[] }[]
    }
    expect(policies.results[0]?.series[0]?.values.map((v) => v[0])).toContain('tidegate_raw')
    // Written before or after tidegate_raw became the default: in autogen or in tidegate_raw (docs/influx.md).
    const reader = adminReader(database)
    const until = Date.now() + 15_000
    let rows = 0
    while (rows === 0 && Date.now() < until) {
      for (const rp of ['autogen', 'tidegate_raw']) {
        const res = await reader.query(`SELECT temperature FROM ${rp}.climate`)
        rows += res.results[0]?.series?.[0]?.values?.length ?? 0
      }
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(rows).toBe(1)
  })

  it('a downsampled measurement is queryable as <rp>.<measurement> once the continuous query ran, tags kept', async () => {
    const database = uniqueDatabase()
    const { gateway, mqttUrl } = await startTestGateway(
      { influx: { url: influxd.url, database, ...ADMIN, retention: '30d', downsample: [CLIMATE] } },
      { extensions: fastShapeExtensions() },
    )
    cleanup.push(() => gateway.stop())
    expect((await statusUntil(gateway, (s) => s.state === 'applied')).state).toBe('applied')
    const client = await connectClient(mqttUrl)
    cleanup.push(() => client.endAsync())
    // Readings for a few seconds: each full second the continuous query closes gets a mean point.
    const reader = adminReader(database)
    let rows: unknown[][] = []
    const until = Date.now() + 15_000
    while (rows.length === 0 && Date.now() < until) {
      await client.publishAsync('devices/ds1/telemetry', JSON.stringify({ temperature: 10 }), { qos: 1 })
      await client.publishAsync('devices/ds1/telemetry', JSON.stringify({ temperature: 30 }), { qos: 1 })
      await new Promise((r) => setTimeout(r, 200))
      const res = await reader.query('SELECT temperature, device FROM tidegate_1d.climate')
      rows = res.results[0]?.series?.[0]?.values ?? []
    }
    expect(rows.length).toBeGreaterThan(0)
    const [, temperature, device] = rows[0] as [string, number, string]
    expect(device).toBe('ds1')
    expect(temperature).toBeGreaterThanOrEqual(10)
    expect(temperature).toBeLessThanOrEqual(30)
  })
})
