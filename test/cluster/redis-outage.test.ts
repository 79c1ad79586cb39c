import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useCleanup } from '../helpers/cleanup.js'
import { queryUntil, startTestGateway } from '../helpers/gateway.js'
import { collect, connectClient } from '../helpers/mqtt.js'
import { useRedis } from '../helpers/redis.js'
import { until } from './helpers.js'

const cleanup = useCleanup()
const redis = useRedis()

describe('a cluster node while Redis is unreachable', () => {
  it('keeps serving its clients and InfluxDB, buffers the partition events, and hands them over when Redis is back', async () => {
    const rules = mkdtempSync(join(tmpdir(), 'tidegate-outage-rules-'))
    writeFileSync(
      join(rules, 'hot.yaml'),
      `version: 1\nid: hot\nfrom: { type: climate-sensor }\nwhen: "data.temperature > 30"\nseverity: info\nactions:\n  - alert: { message: "hot" }\n`,
    )
    const g = await startTestGateway({
      rules,
      cluster: { redis: redis.url, nodeId: 'outage-a', partitions: 4, leaseTtl: '600ms' },
    })
    cleanup.push(() => g.gateway.stop())
    const { host, port } = g.gateway.http.address
    const readyz = async () =>
      (await (await fetch(`http://${host}:${port}/readyz`)).json()) as {
        checks: Record<string, Record<string, number | boolean | string>>
      }
    await until(async () => (await readyz()).checks.cluster?.partitionsOwned === 4)

    const sub = await connectClient(g.mqttUrl)
    cleanup.push(() => sub.endAsync(true))
    const chat = await collect(sub, 'chat/#')
    const watcher = await connectClient(g.mqttUrl)
    cleanup.push(() => watcher.endAsync(true))
    const alerts = await collect(watcher, 'alerts/#')
    const device = await connectClient(g.mqttUrl)
    cleanup.push(() => device.endAsync(true))

    await redis.server.stop()
    await until(async () => (await readyz()).checks.cluster?.ready === false)
    // Local delivery and ingest go on: the QoS 1 publish is acknowledged and lands in InfluxDB.
    await device.publishAsync('chat/1', 'still here', { qos: 1 })
    await chat.next(1)
    await device.publishAsync('devices/out-1/telemetry', JSON.stringify({ temperature: 35 }), { qos: 1 })
    const rows = await queryUntil(
      g.influx,
      `SELECT temperature FROM climate WHERE device='out-1'`,
      (r) => r.length > 0,
    )
    expect(rows.rows).toHaveLength(1)
    // The event for the rules waits in the buffer; no rule ran on it yet.
    expect((await readyz()).checks.cluster?.buffered).toBeGreaterThanOrEqual(1)
    expect(alerts.messages).toHaveLength(0)

    await redis.server.start()
    // Redis came back empty (no persistence in the test): the node takes its partitions again and the
    // buffered event reaches the rules.
    await alerts.next(1, 15_000)
    expect(alerts.messages[0]?.topic).toBe('alerts/hot/out-1')
    await until(async () => (await readyz()).checks.cluster?.ready === true)
    expect((await readyz()).checks.cluster?.buffered).toBe(0)
  }, 40_000)

  it('stops within seconds while Redis is unreachable, counting what it could not hand over', async () => {
    const g = await startTestGateway({
      cluster: { redis: redis.url, nodeId: 'outage-b', partitions: 4, leaseTtl: '600ms' },
    })
    const device = await connectClient(g.mqttUrl)
    await redis.server.stop()
    cleanup.push(() => redis.server.start())
    await device.publishAsync('devices/out-2/telemetry', JSON.stringify({ temperature: 20 }), { qos: 1 })
    await device.endAsync(true)
    const started = Date.now()
    await g.gateway.stop()
    expect(Date.now() - started).toBeLessThan(8000)
  }, 30_000)
})
