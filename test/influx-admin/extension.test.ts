import { describe, expect, it } from 'vitest'
import type { ReadinessReport } from '../../src/observability/readiness.js'
import { useCleanup } from '../helpers/cleanup.js'
import { startTestGateway } from '../helpers/gateway.js'
import { connectClient } from '../helpers/mqtt.js'
import { capturedLogger, fastShapeExtensions, statusUntil } from './helpers.js'

const cleanup = useCleanup()

const SHAPE = {
  retention: '30d',
  downsample: [{ measurement: 'climate', every: '5m', keep: '365d', fields: { temperature: 'mean' } }],
}

describe('the InfluxDB shape feature in a running gateway', () => {
  it('applies the config at start; series per measurement in /metrics; above maxSeries: a warning in the log, the metric and /readyz', async () => {
    const { logger, lines } = capturedLogger()
    const { gateway, mqttUrl, config } = await startTestGateway(
      { influx: { ...SHAPE, maxSeries: 2 } },
      { extensions: fastShapeExtensions(), logger },
    )
    cleanup.push(() => gateway.stop())
    const applied = await statusUntil(gateway, (s) => s.state === 'applied')
    expect(applied.state).toBe('applied')
    expect(applied.lastChanges).toContain('created retention policy tidegate_raw (30d, default)')
    expect(lines.some((l) => l.msg === 'influx: created retention policy tidegate_365d (365d)')).toBe(true)

    const client = await connectClient(mqttUrl)
    cleanup.push(() => client.endAsync())
    for (const device of ['s1', 's2', 's3'])
      await client.publishAsync(`devices/${device}/telemetry`, JSON.stringify({ temperature: 20 }), {
        qos: 1,
      })

    // Three climate series (one per device); the registry's availability points add their own.
    const over = await statusUntil(gateway, (s) => s.series.byMeasurement['climate'] === 3)
    expect(over.series.byMeasurement['climate']).toBe(3)
    expect(over.series.overLimit).toBe(true)
    // The typed read API carries what `tidegate influx status` shows (for the status page).
    expect(over.series.database?.retentionPolicies.map((p) => p.name)).toContain('tidegate_raw')
    expect(over.series.database?.continuousQueries).toHaveLength(1)
    const warning = lines.find((l) => l.msg.startsWith('influx: series cardinality above influx.maxSeries'))
    expect(warning).toMatchObject({ level: 40, maxSeries: 2, database: config.influx.database })

    const base = `http://127.0.0.1:${gateway.http.address.port}`
    const metrics = await (await fetch(`${base}/metrics`)).text()
    expect(metrics).toContain('tidegate_influx_measurement_series{measurement="climate"} 3')
    expect(metrics).toMatch(/\ntidegate_influx_series [3-9]\n/)
    expect(metrics).toContain('tidegate_influx_series_over_limit 1')
    expect(metrics).toContain('tidegate_influx_shape_applied 1')
    expect(metrics).not.toMatch(/device="/)

    const ready = (await (await fetch(`${base}/readyz`)).json()) as ReadinessReport
    expect(ready.ready).toBe(true)
    expect(ready.checks['influxAdmin']).toMatchObject({
      ready: true,
      state: 'applied',
      maxSeries: 2,
      warning: expect.stringMatching(/^series \d+ above influx.maxSeries 2$/),
    })
  })

  it('api v2: nothing is applied, a warning says so, /readyz shows it unmanaged', async () => {
    const { logger, lines } = capturedLogger()
    const { gateway } = await startTestGateway(
      { influx: { ...SHAPE, api: 'v2', org: 'acme', token: 't' } },
      { extensions: fastShapeExtensions(), logger },
    )
    cleanup.push(() => gateway.stop())
    const ready = (await (
      await fetch(`http://127.0.0.1:${gateway.http.address.port}/readyz`)
    ).json()) as ReadinessReport
    expect(ready.checks['influxAdmin']).toMatchObject({ ready: true, state: 'unmanaged' })
    expect(lines.some((l) => l.level === 40 && /not managed on api v2/.test(l.msg))).toBe(true)
  })
})
