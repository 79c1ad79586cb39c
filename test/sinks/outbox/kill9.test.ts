import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { InfluxHttpClient } from '../../../src/sinks/influx/http-client.js'
import { useCleanup } from '../../helpers/cleanup.js'
import { freePort } from '../../helpers/free-port.js'
import { uniqueDatabase } from '../../helpers/gateway.js'
import { connectWhenUp, spawnGatewayProcess } from '../../helpers/gateway-process.js'
import { startInfluxd } from '../../helpers/influxd.js'
import { steadyLoad } from './helpers/load.js'
import { removeTempDirs, sleep, tempDir } from './helpers/make-outbox.js'

afterAll(removeTempDirs)

const cleanup = useCleanup()

async function seqsIn(influx: InfluxHttpClient): Promise<Set<number>> {
  const res = await influx.query(`SELECT co2 FROM climate WHERE device='k9'`)
  return new Set((res.results[0]?.series?.[0]?.values ?? []).map((r) => r[1] as number))
}

describe('gateway killed with SIGKILL under load', () => {
  it('every point the outbox accepted (every PUBACKed QoS 1 message) is in InfluxDB after a restart', async () => {
    const influxd = await startInfluxd()
    cleanup.push(() => influxd.stop())
    const database = uniqueDatabase()
    const mqttPort = await freePort()
    const dir = tempDir('tidegate-kill9-')
    const configFile = join(dir, 'gateway.yaml')
    writeFileSync(
      configFile,
      `version: 1
mqtt: { listeners: [{ host: 127.0.0.1, port: ${mqttPort} }], publishRate: { perSecond: 0 } }
influx: { url: ${influxd.url}, database: ${database}, flushInterval: 50ms, maxRetryDelay: 300ms }
http: { host: 127.0.0.1, port: 0 }
dataDir: ${join(dir, 'data')}
log: { level: warn }
`,
    )
    const first = spawnGatewayProcess(configFile, cleanup)
    const device = await connectWhenUp(`mqtt://127.0.0.1:${mqttPort}`, 40_000)
    cleanup.push(() => device.endAsync(true))
    device.on('error', () => undefined)
    const load = steadyLoad(device, ['k9'], 2, Date.now() - 60_000)
    await sleep(400)
    // Most of what follows is accepted while InfluxDB is away: it lives only in the outbox.
    await influxd.stop({ keepData: true })
    await sleep(1000)
    const exited = new Promise((r) => first.child.once('exit', r))
    process.kill(first.child.pid as number, 'SIGKILL')
    await exited
    await load.stop({ wait: false })
    const acked = [...(load.acked.get('k9') ?? [])]
    expect(acked.length).toBeGreaterThan(200)

    await influxd.restart()
    const influx = new InfluxHttpClient({ url: influxd.url, database, timeoutMs: 5000 })
    const before = await seqsIn(influx)
    expect(acked.filter((s) => !before.has(s)).length).toBeGreaterThan(0) // the outbox held some
    const second = spawnGatewayProcess(configFile, cleanup)
    const until = Date.now() + 40_000
    let landed = before
    while (Date.now() < until) {
      landed = await seqsIn(influx)
      if (acked.every((s) => landed.has(s))) break
      await sleep(100)
    }
    const missing = acked.filter((s) => !landed.has(s))
    expect(missing, second.output()).toEqual([])
  }, 90_000)
})

describe('gateway stopped with SIGTERM', () => {
  it('sends what is pending before it exits, without waiting for the batch to fill', async () => {
    const database = uniqueDatabase()
    const mqttPort = await freePort()
    const dir = tempDir('tidegate-sigterm-')
    const configFile = join(dir, 'gateway.yaml')
    writeFileSync(
      configFile,
      `version: 1
mqtt: { listeners: [{ host: 127.0.0.1, port: ${mqttPort} }], publishRate: { perSecond: 0 } }
influx: { url: ${inject('influxUrl')}, database: ${database}, flushInterval: 5m }
http: { host: 127.0.0.1, port: 0 }
dataDir: ${join(dir, 'data')}
log: { level: warn }
`,
    )
    const gateway = spawnGatewayProcess(configFile, cleanup)
    const device = await connectWhenUp(`mqtt://127.0.0.1:${mqttPort}`, 40_000)
    cleanup.push(() => device.endAsync(true))
    device.on('error', () => undefined)
    for (let i = 0; i < 50; i++)
      await device.publishAsync(
        'devices/k9/telemetry',
        JSON.stringify({ temperature: 20, co2: i, ts: Date.now() - 1000 + i }),
        { qos: 1 },
      )
    const influx = new InfluxHttpClient({ url: inject('influxUrl'), database, timeoutMs: 5000 })
    expect((await seqsIn(influx)).size).toBe(0) // waiting for the 5 min flush interval
    const exited = new Promise<number | null>((r) => gateway.child.once('exit', (code) => r(code)))
    process.kill(gateway.child.pid as number, 'SIGTERM')
    expect(await exited, gateway.output()).toBe(0)
    expect([...(await seqsIn(influx))].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i))
  }, 90_000)
})
