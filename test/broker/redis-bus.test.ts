import { describe, expect, it } from 'vitest'
import { useCleanup } from '../helpers/cleanup.js'
import { startTestGateway } from '../helpers/gateway.js'
import { collect, connectClient } from '../helpers/mqtt.js'
import { useRedis } from '../helpers/redis.js'

const cleanup = useCleanup()
const redis = useRedis()

/** A cluster node: a full gateway on free ports, joined to the test redis-server. */
async function node(nodeId: string) {
  const g = await startTestGateway({ cluster: { redis: redis.url, nodeId } })
  cleanup.push(() => g.gateway.stop())
  return g
}

async function client(url: string, options: Parameters<typeof connectClient>[1] = {}) {
  const c = await connectClient(url, options)
  cleanup.push(() => c.endAsync(true))
  return c
}

describe('one broker across nodes on Redis', () => {
  it('a publish on node A reaches a subscriber on node B, once', async () => {
    const [a, b] = [await node('bus-a'), await node('bus-b')]
    const sub = await client(b.mqttUrl)
    const got = await collect(sub, 'chat/#')
    const pub = await client(a.mqttUrl)
    await pub.publishAsync('chat/1', 'hello', { qos: 1 })
    await got.next(1)
    await new Promise((r) => setTimeout(r, 200))
    expect(got.messages.map((m) => m.payload.toString())).toEqual(['hello'])
    // A local subscriber on A gets it once too (delivered locally, its Redis echo skipped).
    const local = await client(a.mqttUrl)
    const gotLocal = await collect(local, 'chat/#')
    await pub.publishAsync('chat/2', 'again', { qos: 1 })
    await gotLocal.next(1)
    await got.next(2)
    await new Promise((r) => setTimeout(r, 200))
    expect(gotLocal.messages.map((m) => m.payload.toString())).toEqual(['again'])
    expect(b.gateway.broker.redisBus?.stats.fromOtherNodes).toBeGreaterThanOrEqual(2)
  })

  it('a retained message set through A is received by a new subscriber on B', async () => {
    const [a, b] = [await node('ret-a'), await node('ret-b')]
    const pub = await client(a.mqttUrl)
    await pub.publishAsync('site/state', 'open', { qos: 1, retain: true })
    const sub = await client(b.mqttUrl)
    const got = await collect(sub, 'site/state')
    await got.next(1)
    expect(got.messages[0]).toMatchObject({ retain: true })
    expect(got.messages[0]?.payload.toString()).toBe('open')
  })

  // Resuming the session on B restores its subscription before B writes the CONNACK, while A's three
  // publishes may still be on their way to B through Redis pub/sub: they must follow the CONNACK (a client
  // that gets a PUBLISH first never completes its connect), and they may arrive twice (queue and live).
  it('a QoS 1 persistent session made on A gets what was published while offline, on B', async () => {
    const [a, b] = [await node('ses-a'), await node('ses-b')]
    const first = await connectClient(a.mqttUrl, { clientId: 'collector', clean: false })
    await first.subscribeAsync('jobs/#', { qos: 1 })
    await first.endAsync()
    const pub = await client(a.mqttUrl)
    for (const n of [1, 2, 3]) await pub.publishAsync(`jobs/${n}`, String(n), { qos: 1 })
    const again = await connectClient(b.mqttUrl, { clientId: 'collector', clean: false })
    cleanup.push(() => again.endAsync(true))
    const seen: string[] = []
    again.on('message', (_t, payload) => seen.push(payload.toString()))
    const until = Date.now() + 5000
    while (new Set(seen).size < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 50))
    expect([...new Set(seen)].sort()).toEqual(['1', '2', '3'])
  })

  it('a client id connecting on B takes over its session on A (the old connection is closed)', async () => {
    const [a, b] = [await node('take-a'), await node('take-b')]
    const old = await client(a.mqttUrl, { clientId: 'sensor-9' })
    const closed = new Promise<void>((r) => old.once('close', () => r()))
    await client(b.mqttUrl, { clientId: 'sensor-9' })
    await closed
    expect(old.connected).toBe(false)
  })
})
