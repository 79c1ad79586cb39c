import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { MqttClient } from 'mqtt'
import { describe, expect, inject, it } from 'vitest'
import { partitionOf } from '../../src/cluster/partition.js'
import { InfluxHttpClient } from '../../src/sinks/influx/http-client.js'
import { useCleanup } from '../helpers/cleanup.js'
import { uniqueDatabase } from '../helpers/gateway.js'
import { connectWhenUp, kill9, spawnGatewayProcess } from '../helpers/gateway-process.js'
import { connectClient as mqttConnect } from '../helpers/mqtt.js'
import { useRedis } from '../helpers/redis.js'
import { steadyLoad } from '../sinks/outbox/helpers/load.js'
import { clusterNodeFiles, leaseOwners, until } from './helpers.js'

const cleanup = useCleanup()
const redis = useRedis()
const PARTITIONS = 8
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('a cluster of three gateway processes, one killed with SIGKILL under QoS 1 load', () => {
  it('loses no acknowledged message, continues its alerts elsewhere, and takes partitions back on rejoin without losing events', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tidegate-cluster-kill9-'))
    writeFileSync(
      join(dir, 'hot.yaml'),
      'version: 1\nid: hot\nfrom: { type: climate-sensor }\nwhen: "data.temperature > 30"\nclear: "data.temperature < 25"\nseverity: info\nactions:\n  - alert: { message: "hot" }\n',
    )
    const database = uniqueDatabase()
    const nodes = ['k-a', 'k-b', 'k-c']
    const { ports, files } = await clusterNodeFiles({
      dir,
      nodes,
      influxUrl: inject('influxUrl'),
      database,
      redisUrl: redis.url,
      partitions: PARTITIONS,
      cluster: 'snapshotInterval: 1s',
    })
    const owners = leaseOwners(redis.url, PARTITIONS, cleanup)
    const procs = new Map(nodes.map((id) => [id, spawnGatewayProcess(files.get(id) as string, cleanup)]))
    const url = (id: string) => `mqtt://127.0.0.1:${ports.get(id)}`
    const connect = async (id: string) => {
      const c = await connectWhenUp(url(id), 60_000)
      c.on('error', () => undefined)
      cleanup.push(() => c.endAsync(true))
      return c
    }
    const [onA, onB] = [await connect('k-a'), await connect('k-b')]
    await connect('k-c')
    await until(async () => new Set((await owners()).filter(Boolean)).size === 3, 20_000)
    const owned = await owners()
    const ofB = (prefix: string) =>
      Array.from({ length: 200 }, (_, i) => `${prefix}-${i}`).find(
        (d) => owned[partitionOf(d, PARTITIONS)] === 'k-b',
      ) as string
    const influx = new InfluxHttpClient({ url: inject('influxUrl'), database, timeoutMs: 5000 })
    const alertStates = async (key: string) => {
      const res = await influx.query(`SELECT state FROM alerts WHERE "key"='${key}'`)
      return (res.results[0]?.series?.[0]?.values ?? []).map((r) => r[1] as string)
    }
    const send = (c: MqttClient, device: string, temperature: number) =>
      c.publishAsync(`devices/${device}/telemetry`, JSON.stringify({ temperature }), { qos: 1 })

    // An alert whose partition B owns fires (B announces it).
    const sensor = ofB('hot')
    await send(onA, sensor, 35)
    await until(async () => (await alertStates(sensor)).length === 1, 15_000)

    // A client on B left a will; a subscriber on A waits for it.
    const wills: string[] = []
    onA.on('message', (topic, payload) => topic === 'wills/b-client' && wills.push(payload.toString()))
    await onA.subscribeAsync('wills/b-client', { qos: 1 })
    const willClient = await mqttConnect(url('k-b'), {
      clientId: 'b-client',
      will: { topic: 'wills/b-client', payload: Buffer.from('gone'), qos: 1, retain: false },
    })
    cleanup.push(() => willClient.endAsync(true))

    // QoS 1 load through B, then B is killed.
    const load = steadyLoad(onB, ['k9-load'], 2, Date.now() - 60_000)
    await sleep(1000)
    await kill9(procs.get('k-b')?.child as never)
    await load.stop({ wait: false })
    const acked = load.acked.get('k9-load') ?? []
    expect(acked.length).toBeGreaterThan(20)

    // After the lease TTL the others own B's partitions and continue its alert: cool resolves it.
    await until(async () => !(await owners()).includes('k-b') && (await owners()).every(Boolean), 15_000)
    await send(onA, sensor, 20)
    await until(async () => (await alertStates(sensor)).length === 2, 15_000)
    expect(await alertStates(sensor)).toEqual(['firing', 'resolved'])
    // The others publish the will of B's client (B's heartbeats stopped).
    await until(() => wills.length > 0, 15_000)
    expect(wills[0]).toBe('gone')

    // B rejoins with its data folder: its outbox delivers what it acknowledged before the kill, and it
    // takes partitions back while events keep coming: each of these devices raises one alert.
    procs.set('k-b', spawnGatewayProcess(files.get('k-b') as string, cleanup))
    const joiners = Array.from({ length: 40 }, (_, i) => `join-${i}`)
    let next = 0
    const during = setInterval(() => {
      const device = joiners[next++]
      if (device) void send(onA, device, 35).catch(() => undefined)
    }, 100)
    cleanup.push(() => clearInterval(during))
    await until(async () => (await owners()).includes('k-b'), 30_000)
    await until(() => next >= joiners.length, 10_000)
    clearInterval(during)

    await until(async () => {
      const res = await influx.query(`SELECT co2 FROM climate WHERE device='k9-load'`)
      const landed = new Set((res.results[0]?.series?.[0]?.values ?? []).map((r) => r[1] as number))
      return acked.every((s) => landed.has(s))
    }, 40_000)
    await until(async () => {
      const res = await influx.query(
        `SELECT count(state) FROM alerts WHERE "key" =~ /^join-/ AND state='firing' GROUP BY "key"`,
      )
      return (res.results[0]?.series ?? []).length === joiners.length
    }, 20_000)
  }, 180_000)
})
