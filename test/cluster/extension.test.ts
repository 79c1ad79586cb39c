import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { leaseKey } from '../../src/cluster/leases.js'
import { partitionOf } from '../../src/cluster/partition.js'
import { useCleanup } from '../helpers/cleanup.js'
import { queryUntil, startTestGateway } from '../helpers/gateway.js'
import { collect, connectClient } from '../helpers/mqtt.js'
import { useRedis } from '../helpers/redis.js'

const cleanup = useCleanup()
const redis = useRedis()
const PARTITIONS = 8

function rulesDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tidegate-cluster-rules-'))
  writeFileSync(
    join(dir, 'hot.yaml'),
    `version: 1
id: hot
from: { type: climate-sensor }
when: "data.temperature > 30"
clear: "data.temperature < 25"
severity: warning
actions:
  - alert: { message: "{{device}} hot" }
`,
  )
  return dir
}

async function node(nodeId: string, rules: string) {
  const g = await startTestGateway({
    rules,
    cluster: { redis: redis.url, nodeId, partitions: PARTITIONS, leaseTtl: '600ms' },
  })
  cleanup.push(() => g.gateway.stop())
  return g
}

async function until(check: () => Promise<boolean> | boolean, timeoutMs = 8000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('rules partitioned across nodes', () => {
  it('the owner of a device’s partition runs its rules; after the owner leaves, the next one continues the alert', async () => {
    const admin = new Redis(redis.url)
    cleanup.push(() => admin.quit())
    const owners = async () => admin.mget(...Array.from({ length: PARTITIONS }, (_, p) => leaseKey(p)))
    const rules = rulesDir()
    const a = await node('rules-a', rules)
    const b = await node('rules-b', rules)
    // Balanced: four partitions each.
    await until(async () => (await owners()).filter((o) => o === 'rules-b').length === PARTITIONS / 2)
    const all = await owners()
    const device = Array.from({ length: 100 }, (_, i) => `hot-${i}`).find(
      (d) => all[partitionOf(d, PARTITIONS)] === 'rules-b',
    ) as string

    const watcher = await connectClient(a.mqttUrl)
    cleanup.push(() => watcher.endAsync(true))
    const alerts = await collect(watcher, `alerts/hot/${device}`)
    const sensor = await connectClient(a.mqttUrl)
    cleanup.push(() => sensor.endAsync(true))
    const send = (temperature: number) =>
      sensor.publishAsync(`devices/${device}/telemetry`, JSON.stringify({ temperature }), { qos: 1 })

    // The sensor is on A; its partition is B's: B's engine raises the alert, B writes it.
    await send(35)
    await alerts.next(1)
    expect(JSON.parse(alerts.messages[0]?.payload.toString() ?? '{}')).toMatchObject({ state: 'firing' })
    const inB = await queryUntil(
      b.influx,
      `SELECT state FROM alerts WHERE "key"='${device}'`,
      (r) => r.length > 0,
    )
    expect(inB.rows.map((r) => r[1])).toEqual(['firing'])
    const inA = await a.influx.query(`SELECT state FROM alerts WHERE "key"='${device}'`)
    expect(inA.results[0]?.series ?? []).toEqual([])

    // B leaves (a clean stop hands its leases back); A takes every partition and the alert's state.
    await b.gateway.stop()
    await until(async () => (await owners()).every((o) => o === 'rules-a'))
    await send(36) // still hot: firing continues, not announced again
    await send(20) // cool: A resolves the alert B raised
    await alerts.next(2)
    await new Promise((r) => setTimeout(r, 300))
    const states = alerts.messages.map((m) => JSON.parse(m.payload.toString()).state)
    expect(states).toEqual(['firing', 'resolved'])
    const inA2 = await queryUntil(
      a.influx,
      `SELECT state FROM alerts WHERE "key"='${device}'`,
      (r) => r.length > 0,
    )
    expect(inA2.rows.map((r) => r[1])).toEqual(['resolved'])
  }, 30_000)
})
