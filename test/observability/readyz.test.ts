import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { ExtensionFactory } from '../../src/extension.js'
import { extensionFactories } from '../../src/extensions.js'
import type { Gateway } from '../../src/gateway.js'
import type { ReadinessReport } from '../../src/observability/readiness.js'
import { useCleanup } from '../helpers/cleanup.js'
import { startTestGateway } from '../helpers/gateway.js'
import { startInfluxd } from '../helpers/influxd.js'
import { connectClient } from '../helpers/mqtt.js'

const cleanup = useCleanup()

async function readyz(gateway: Gateway): Promise<{ status: number; body: ReadinessReport }> {
  const res = await fetch(`http://127.0.0.1:${gateway.http.address.port}/readyz`)
  expect(res.headers.get('content-type')).toBe('application/json')
  return { status: res.status, body: (await res.json()) as ReadinessReport }
}

async function readyzUntil(
  gateway: Gateway,
  done: (r: { status: number; body: ReadinessReport }) => boolean,
  timeoutMs = 15_000,
): Promise<{ status: number; body: ReadinessReport }> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const r = await readyz(gateway)
    if (done(r) || Date.now() > until) return r
    await new Promise((res) => setTimeout(res, 50))
  }
}

describe('GET /readyz and /healthz', () => {
  it('InfluxDB down: still ready (buffering), reported unreachable with pending points; back up: ok and drained', async () => {
    const influxd = await startInfluxd()
    cleanup.push(() => influxd.stop())
    const { gateway, mqttUrl } = await startTestGateway({ influx: { url: influxd.url } })
    cleanup.push(() => gateway.stop())

    const up = await readyz(gateway)
    expect(up.status).toBe(200)
    expect(up.body.ready).toBe(true)
    expect(up.body.checks['broker']?.ready).toBe(true)
    expect(up.body.checks['catalog']).toMatchObject({
      ready: true,
      types: gateway.context.catalog.types.size,
    })
    expect(up.body.influx).toMatchObject({ state: 'ok', reachable: true, pendingPoints: 0 })

    await influxd.stop({ keepData: true })
    const device = await connectClient(mqttUrl)
    cleanup.push(() => device.endAsync())
    await device.publishAsync('devices/r1/telemetry', '{"temperature":3}', { qos: 1 })
    const down = await readyzUntil(gateway, (r) => r.body.influx.reachable === false)
    expect(down.status).toBe(200)
    expect(down.body.ready).toBe(true)
    expect(down.body.influx.state).toBe('buffering')
    expect(down.body.influx.pendingPoints).toBeGreaterThanOrEqual(1)
    expect(down.body.influx.lastError).toBeTruthy()

    await influxd.restart()
    const back = await readyzUntil(
      gateway,
      (r) => r.body.influx.reachable && r.body.influx.pendingPoints === 0,
    )
    expect(back.status).toBe(200)
    expect(back.body.influx).toMatchObject({ state: 'ok', reachable: true, pendingPoints: 0 })
  })

  it('is 503 while a feature reports not ready, or with no device type loaded; /healthz stays 200', async () => {
    let loaded = false
    const loader: ExtensionFactory = () => ({
      name: 'loader',
      start: async () => {},
      stop: async () => {},
      readiness: () => ({ ready: loaded, detail: { files: loaded ? 4 : 0 } }),
    })
    const { gateway } = await startTestGateway({}, { extensions: [...extensionFactories, loader] })
    cleanup.push(() => gateway.stop())
    const waiting = await readyz(gateway)
    expect(waiting.status).toBe(503)
    expect(waiting.body.ready).toBe(false)
    expect(waiting.body.checks['loader']).toEqual({ ready: false, files: 0 })
    loaded = true
    const ready = await readyz(gateway)
    expect(ready.status).toBe(200)
    expect(ready.body.checks['loader']).toEqual({ ready: true, files: 4 })
    expect((await fetch(`http://127.0.0.1:${gateway.http.address.port}/healthz`)).status).toBe(200)

    const emptyCatalog = mkdtempSync(join(tmpdir(), 'tidegate-empty-catalog-'))
    cleanup.push(() => rmSync(emptyCatalog, { recursive: true, force: true }))
    const bare = await startTestGateway({ catalog: emptyCatalog })
    cleanup.push(() => bare.gateway.stop())
    const r = await readyz(bare.gateway)
    expect(r.status).toBe(503)
    expect(r.body.checks['catalog']).toMatchObject({ ready: false, types: 0 })
  })
})
