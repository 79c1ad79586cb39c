import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, inject, it } from 'vitest'
import { InfluxHttpClient } from '../../src/sinks/influx/http-client.js'
import { useCleanup } from '../helpers/cleanup.js'
import { freePort } from '../helpers/free-port.js'
import { uniqueDatabase } from '../helpers/gateway.js'
import { startGatewayProcess } from '../helpers/gateway-process.js'
import { connectClient } from '../helpers/mqtt.js'

const repo = process.cwd()
const cleanup = useCleanup()

/** Starts the real CLI (`tidegate run`) as a child process and resolves once it is listening. */
async function startCli(durable: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'tidegate-shutdown-'))
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }))
  mkdirSync(join(dir, 'rules'))
  const port = await freePort()
  const database = uniqueDatabase()
  const config = join(dir, 'gateway.yaml')
  writeFileSync(
    config,
    [
      // The per-client publish rate limit would drop (yet PUBACK, MQTT 3.1.1) part of this burst: off.
      `mqtt: { listeners: [{ host: 127.0.0.1, port: ${port} }], publishRate: { perSecond: 0 } }`,
      // A long interval and a huge batch: nothing is written before shutdown unless shutdown flushes it.
      `influx: { url: "${inject('influxUrl')}", database: ${database}, flushInterval: 1h, batchSize: 100000, buffer: { durable: ${durable} } }`,
      `catalog: ${join(repo, 'devices')}`,
      `rules: ${join(dir, 'rules')}`,
      'http: { host: 127.0.0.1, port: 0 }',
      `dataDir: ${join(dir, 'data')}`,
      'log: { level: info }',
      '',
    ].join('\n'),
  )
  const gw = await startGatewayProcess(config, dir)
  cleanup.push(gw.kill)
  const influx = new InfluxHttpClient({ url: inject('influxUrl'), database, timeoutMs: 10_000 } as never)
  return { ...gw, port, influx }
}

describe('graceful shutdown', { timeout: 120_000 }, () => {
  it.each([
    ['the durable outbox', true],
    ['the memory buffer', false],
  ])('SIGTERM while devices publish loses no acknowledged message (%s)', async (_name, durable) => {
    const gw = await startCli(durable)
    const device = await connectClient(`mqtt://127.0.0.1:${gw.port}`, { clientId: 'shutdown-dev' })
    cleanup.push(() => {
      device.end(true)
    })
    device.on('error', () => {})
    const base = 1_700_000_000_000
    const acked: number[] = []
    let stop = false
    // Publish QoS 1 without waiting for each PUBACK, so messages are in flight when the signal lands.
    const publisher = (async () => {
      for (let i = 0; !stop; i++) {
        const payload = JSON.stringify({ temperature: 20, ts: base + i, seq: i })
        device.publishAsync('devices/shutdown-dev/telemetry', payload, { qos: 1 }).then(
          () => acked.push(i),
          () => {},
        )
        if (i % 50 === 49) await new Promise((r) => setImmediate(r))
        if (device.disconnected || device.disconnecting) break
      }
    })()
    while (acked.length < 500) await new Promise((r) => setTimeout(r, 5))
    process.kill(gw.child.pid, 'SIGTERM')
    const code = await gw.exited
    stop = true
    await publisher
    expect(code, gw.output()).toBe(0)
    expect(gw.output()).not.toMatch(/not delivered|points lost/i)

    const res = await gw.influx.query('SELECT temperature FROM climate')
    const stored = new Set((res.results[0]?.series?.[0]?.values ?? []).map((v) => (v[0] as number) - base))
    const missing = acked.filter((i) => !stored.has(i))
    expect(acked.length).toBeGreaterThanOrEqual(500)
    expect(missing).toEqual([])
  })
})
