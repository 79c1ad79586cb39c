import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { useCleanup } from '../../helpers/cleanup.js'
import { freePort } from '../../helpers/free-port.js'
import { uniqueDatabase } from '../../helpers/gateway.js'
import { connectWhenUp, kill9, spawnGatewayProcess } from '../../helpers/gateway-process.js'
import { steadyLoad } from '../outbox/helpers/load.js'
import { removeTempDirs, sleep, tempDir } from '../outbox/helpers/make-outbox.js'
import { centralWithCollector, firstArrivalsInOrder } from './arrivals.js'

afterAll(removeTempDirs)
const cleanup = useCleanup()

function writeConfig(dir: string, mqttPort: number, brokerUrl: string, prefix: string): string {
  const configFile = join(dir, 'gateway.yaml')
  writeFileSync(
    configFile,
    `version: 1
mqtt: { listeners: [{ host: 127.0.0.1, port: ${mqttPort} }], publishRate: { perSecond: 0 } }
influx: { url: ${inject('influxUrl')}, database: ${uniqueDatabase()}, flushInterval: 100ms }
http: { host: 127.0.0.1, port: 0 }
dataDir: ${join(dir, 'data')}
log: { level: warn }
upstream: { url: ${brokerUrl}, prefix: ${prefix}, forward: [devices/+/telemetry] }
`,
  )
  return configFile
}

describe('gateway killed with SIGKILL while the upstream is away', () => {
  it('a forwarded QoS 1 message is durable when its PUBACK arrives: killed right after it, it still arrives upstream', async () => {
    const { broker, got } = await centralWithCollector(cleanup, 'sites/pa/devices/+/telemetry')
    await broker.stop()
    const mqttPort = await freePort()
    const configFile = writeConfig(tempDir('tidegate-upstream-puback-'), mqttPort, broker.url, 'sites/pa')
    const first = spawnGatewayProcess(configFile, cleanup)
    const device = await connectWhenUp(`mqtt://127.0.0.1:${mqttPort}`, 90_000)
    cleanup.push(() => device.endAsync(true))
    device.on('error', () => undefined)
    // Stored only after the PUBACK (the old order), the message sat in memory for up to one commit interval.
    await device.publishAsync('devices/pa1/telemetry', JSON.stringify({ temperature: 20, seq: 1 }), {
      qos: 1,
    })
    await kill9(first.child)
    await broker.start()
    const second = spawnGatewayProcess(configFile, cleanup)
    await expect
      .poll(() => got.get('pa1')?.includes(1) ?? false, {
        timeout: 90_000,
        interval: 100,
        message: second.output(),
      })
      .toBe(true)
  }, 180_000)

  it('every forwarded message it acknowledged arrives upstream after the restart, in order per topic', async () => {
    const { broker, got } = await centralWithCollector(cleanup, 'sites/k9/devices/+/telemetry')
    const mqttPort = await freePort()
    const configFile = writeConfig(tempDir('tidegate-upstream-kill9-'), mqttPort, broker.url, 'sites/k9')
    const first = spawnGatewayProcess(configFile, cleanup)
    const device = await connectWhenUp(`mqtt://127.0.0.1:${mqttPort}`, 90_000)
    cleanup.push(() => device.endAsync(true))
    device.on('error', () => undefined)
    const devices = ['u1', 'u2']
    const load = steadyLoad(device, devices, 5, Date.now() - 60_000)
    await sleep(500)
    await broker.stop()
    // Everything acknowledged from here on lives only in the gateway's upstream outbox.
    const before = devices.map((d) => load.acked.get(d)?.length ?? 0)
    const held = () => devices.every((d, i) => (load.acked.get(d)?.length ?? 0) >= (before[i] ?? 0) + 100)
    await expect.poll(held, { timeout: 20_000, interval: 50 }).toBe(true)
    await kill9(first.child)
    await load.stop({ wait: false })
    await broker.start()
    const second = spawnGatewayProcess(configFile, cleanup)
    const complete = () =>
      devices.every((d) => (load.acked.get(d) ?? []).every((s) => got.get(d)?.includes(s)))
    await expect.poll(complete, { timeout: 90_000, interval: 200, message: second.output() }).toBe(true)
    for (const d of devices) {
      expect(firstArrivalsInOrder(got.get(d) ?? [])).toBe(true)
    }
  }, 180_000)
})
