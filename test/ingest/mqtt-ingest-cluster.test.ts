import { describe, expect, it } from 'vitest'
import { useCleanup } from '../helpers/cleanup.js'
import { queryUntil, startTestGateway } from '../helpers/gateway.js'
import { collect, connectClient } from '../helpers/mqtt.js'
import { useRedis } from '../helpers/redis.js'

const cleanup = useCleanup()
const redis = useRedis()

describe('ingest in a cluster', () => {
  it('only the node whose client published ingests it; the other node only delivers it', async () => {
    // Each node writes to its own database here, so a second ingest on B could not hide as a rewrite.
    const a = await startTestGateway({ cluster: { redis: redis.url, nodeId: 'ing-a' } })
    cleanup.push(() => a.gateway.stop())
    const b = await startTestGateway({ cluster: { redis: redis.url, nodeId: 'ing-b' } })
    cleanup.push(() => b.gateway.stop())
    const watcher = await connectClient(b.mqttUrl)
    cleanup.push(() => watcher.endAsync(true))
    const seen = await collect(watcher, 'devices/+/telemetry')
    const device = await connectClient(a.mqttUrl)
    cleanup.push(() => device.endAsync(true))
    for (let seq = 1; seq <= 3; seq++)
      await device.publishAsync('devices/once-1/telemetry', JSON.stringify({ seq, temperature: 20 + seq }), {
        qos: 1,
      })
    await seen.next(3)
    const inA = await queryUntil(
      a.influx,
      `SELECT temperature FROM climate WHERE device='once-1'`,
      (r) => r.length >= 3,
    )
    expect(inA.rows.map((r) => r[1])).toEqual([21, 22, 23])
    // B delivered the three messages to its subscriber; its outbox flushes every 100 ms: give it time.
    await new Promise((r) => setTimeout(r, 600))
    const inB = await b.influx.query(`SELECT temperature FROM climate WHERE device='once-1'`)
    expect(inB.results[0]?.series ?? []).toEqual([])
  })
})
