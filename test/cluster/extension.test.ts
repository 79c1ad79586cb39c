import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { partitionOf } from '../../src/cluster/partition.js'
import { useCleanup } from '../helpers/cleanup.js'
import { queryUntil, startTestGateway } from '../helpers/gateway.js'
import { collect, connectClient } from '../helpers/mqtt.js'
import { useRedis } from '../helpers/redis.js'
import { leaseOwners, until } from './helpers.js'

const cleanup = useCleanup()
const redis = useRedis()
const PARTITIONS = 8

/** A temporary rules folder holding `files` (name → text), removed after the test. */
function rulesDirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tidegate-cluster-rules-'))
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }))
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  return dir
}

function rulesDir(): string {
  return rulesDirWith({
    'vent.yaml': `version: 1
id: vent
from: { type: climate-sensor }
where: "device.startsWith('vent-')"
when: "data.temperature > 30"
severity: info
actions:
  - command: { device: cmd-fan, name: set, params: { on: true } }
`,
    'registry.yaml': 'version: 1\ndevices:\n  - { id: cmd-fan, type: fan, tags: { zone: test } }\n',
    'hot.yaml': `version: 1
id: hot
from: { type: climate-sensor }
when: "data.temperature > 30"
clear: "data.temperature < 25"
severity: warning
actions:
  - alert: { message: "{{device}} hot" }
`,
  })
}

async function node(nodeId: string, rules: string) {
  const g = await startTestGateway({
    rules,
    devices: { registry: join(rules, 'registry.yaml') },
    cluster: { redis: redis.url, nodeId, partitions: PARTITIONS, leaseTtl: '600ms' },
  })
  cleanup.push(() => g.gateway.stop())
  return g
}

describe('rules partitioned across nodes', () => {
  it('a command from a rule owned by B reaches a device on A; its ack reaches B', async () => {
    const leases = leaseOwners(redis.url, PARTITIONS, cleanup)
    const rules = rulesDir()
    const a = await node('cmd-a', rules)
    const b = await node('cmd-b', rules)
    await until(async () => (await leases()).filter((o) => o === 'cmd-b').length === PARTITIONS / 2)
    const owners = await leases()
    const sensorId = Array.from({ length: 100 }, (_, i) => `vent-${i}`).find(
      (d) => owners[partitionOf(d, PARTITIONS)] === 'cmd-b',
    ) as string
    // The fan is connected to A and answers every command.
    const fan = await connectClient(a.mqttUrl, { clientId: 'cmd-fan' })
    cleanup.push(() => fan.endAsync(true))
    const commands: unknown[] = []
    fan.on('message', (_topic, payload) => {
      const command = JSON.parse(payload.toString()) as { id: string }
      commands.push(command)
      void fan.publishAsync('devices/cmd-fan/acks', JSON.stringify({ id: command.id, status: 'ok' }), {
        qos: 1,
      })
    })
    await fan.subscribeAsync('devices/cmd-fan/commands/+', { qos: 1 })
    const sensor = await connectClient(a.mqttUrl)
    cleanup.push(() => sensor.endAsync(true))
    // B learns that the fan is online from A's availability message.
    await new Promise((r) => setTimeout(r, 300))
    await sensor.publishAsync(`devices/${sensorId}/telemetry`, JSON.stringify({ temperature: 35 }), {
      qos: 1,
    })
    await until(() => commands.length > 0)
    expect(commands[0]).toMatchObject({ name: 'set', params: { on: true }, source: 'rule:vent' })
    const acked = await queryUntil(
      b.influx,
      `SELECT attempt FROM commands WHERE device='cmd-fan' AND status='acked'`,
      (r) => r.length > 0,
    )
    expect(acked.rows).toHaveLength(1)
  }, 30_000)

  it('the owner of a device’s partition runs its rules; after the owner leaves, the next one continues the alert', async () => {
    const owners = leaseOwners(redis.url, PARTITIONS, cleanup)
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
    // Its id names the stream entry that caused it: the same on any node that evaluates that entry again.
    const ids = await b.influx.query(`SELECT transition_id FROM alerts WHERE "key"='${device}'`)
    expect(ids.results[0]?.series?.[0]?.values?.[0]?.[1]).toMatch(/^\d+-\d+:firing:0$/)
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

  it('a partition handed over when a node joins keeps its open windows: every window counts all its events, once', async () => {
    const owners = leaseOwners(redis.url, PARTITIONS, cleanup)
    const rules = rulesDirWith({
      'fours.yaml': `version: 1
id: fours
from: { type: climate-sensor }
window: { kind: count, size: 4 }
aggregate: { n: count(), total: sum(data.temperature) }
actions:
  - publish: { topic: "test/fours/{{key}}", payload: { n: "{{n}}", total: "{{total}}" } }
`,
    })
    const a = await node('hand-a', rules)
    await until(async () => (await owners()).every((o) => o === 'hand-a'))
    const sensor = await connectClient(a.mqttUrl)
    cleanup.push(() => sensor.endAsync(true))
    const results = await collect(sensor, 'test/fours/+')
    const devices = Array.from({ length: 16 }, (_, i) => `four-${i}`)
    const sendAll = async (temperature: number) => {
      for (const d of devices)
        await sensor.publishAsync(`devices/${d}/telemetry`, JSON.stringify({ temperature }), { qos: 1 })
    }
    await sendAll(1)
    await sendAll(2)
    // B joins: A hands half of the partitions over (its last snapshot first), B continues their windows.
    await node('hand-b', rules)
    await until(async () => (await owners()).filter((o) => o === 'hand-b').length === PARTITIONS / 2)
    const all = await owners()
    expect(devices.some((d) => all[partitionOf(d, PARTITIONS)] === 'hand-b')).toBe(true)
    await sendAll(3)
    await sendAll(4)
    await results.next(devices.length)
    await new Promise((r) => setTimeout(r, 300))
    const byDevice = results.messages.map((m) => [m.topic.split('/')[2], JSON.parse(m.payload.toString())])
    expect(byDevice).toHaveLength(devices.length)
    for (const [, r] of byDevice) expect(r).toEqual({ n: 4, total: 10 })
    expect(new Set(byDevice.map(([d]) => d)).size).toBe(devices.length)
  }, 30_000)
})
