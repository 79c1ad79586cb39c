import mqtt from 'mqtt'
import { describe, expect, it } from 'vitest'
import { useCleanup } from '../helpers/cleanup.js'
import { connectClient } from '../helpers/mqtt.js'
import { bytes, RawClient, rawPublish, sleep, startBroker } from './raw-client.js'

const cleanup = useCleanup()

/** Raw CONNECT (then DISCONNECT when accepted); returns the CONNACK return code byte. */
async function connack(port: number, options: { clientId: string; clean: boolean }): Promise<number> {
  const raw = await RawClient.open(port)
  try {
    const reply = await raw.handshake(options)
    expect(reply.subarray(0, 3)).toEqual(Buffer.from([0x20, 0x02, 0x00]))
    if (reply[3] === 0) raw.send(bytes({ cmd: 'disconnect' }))
    await raw.waitClosed()
    return reply[3] ?? -1
  } finally {
    raw.close()
  }
}

async function retainedSeen(url: string): Promise<string[]> {
  const client = await connectClient(url)
  const topics: string[] = []
  client.on('message', (topic, _p, packet) => {
    if (packet.retain) topics.push(topic)
  })
  await client.subscribeAsync('r/#')
  await sleep(100)
  await client.endAsync()
  return topics.sort()
}

describe('bounded broker state', () => {
  it('clients cycling persistent client ids hit the session cap (CONNACK 3); expired sessions free it', async () => {
    let clock = 1_000_000
    const { port, broker } = await startBroker({ maxSessions: 5, sessionExpiry: '1h' }, {}, () => clock)
    cleanup.push(() => broker.stop())
    for (let i = 0; i < 5; i++) expect(await connack(port, { clientId: `p-${i}`, clean: false })).toBe(0)
    // An existing session may come back; a new one is refused.
    expect(await connack(port, { clientId: 'p-0', clean: false })).toBe(0)
    expect(await connack(port, { clientId: 'p-new', clean: false })).toBe(3)
    expect(broker.refusals.count('session_cap')).toBe(1)
    expect(broker.stats.sessions).toBe(5)
    // Clean sessions are not capped.
    expect(await connack(port, { clientId: 'c-1', clean: true })).toBe(0)
    clock += 59 * 60_000
    await broker.sweepState()
    expect(broker.refusals.count('session_expired')).toBe(0)
    clock += 60_000
    await broker.sweepState()
    expect(broker.refusals.count('session_expired')).toBe(5)
    expect(broker.stats.sessions).toBe(0)
    expect(await connack(port, { clientId: 'p-new', clean: false })).toBe(0)
  })

  it('retained topics are capped (counted) and expire', async () => {
    let clock = 1_000_000
    const { url, broker } = await startBroker({ maxRetained: 3, retainedExpiry: '1d' }, {}, () => clock)
    cleanup.push(() => broker.stop())
    const pub = await connectClient(url)
    cleanup.push(() => pub.endAsync())
    for (let i = 0; i < 5; i++) await pub.publishAsync(`r/${i}`, `v${i}`, { retain: true, qos: 1 })
    // Updating a stored topic is not a new one.
    await pub.publishAsync('r/0', 'v0b', { retain: true, qos: 1 })
    expect(await retainedSeen(url)).toEqual(['r/0', 'r/1', 'r/2'])
    expect(broker.refusals.count('retained_cap')).toBe(2)
    // An empty retained payload deletes, which frees a slot.
    await pub.publishAsync('r/1', '', { retain: true, qos: 1 })
    await pub.publishAsync('r/9', 'v9', { retain: true, qos: 1 })
    expect(await retainedSeen(url)).toEqual(['r/0', 'r/2', 'r/9'])
    clock += 86_400_000
    await broker.sweepState()
    expect(await retainedSeen(url)).toEqual([])
    expect(broker.refusals.count('retained_expired')).toBe(3)
    expect(broker.stats.retained).toBe(0)
  })

  it('a retained payload that arrived among many publishes is kept in a buffer of its own, not a view pinning the read', async () => {
    const { port, broker } = await startBroker()
    cleanup.push(() => broker.stop())
    const raw = await RawClient.open(port)
    cleanup.push(() => raw.close())
    await raw.handshake({ clientId: 'aggregator' })
    const readings = Array.from({ length: 100 }, (_, i) =>
      rawPublish(Buffer.from('devices/d/telemetry'), Buffer.from(`{"seq":${i}}`)),
    )
    const retained = rawPublish(Buffer.from('r/state'), Buffer.from('on'))
    retained[0] = (retained[0] as number) | 0x01 // RETAIN
    raw.send(Buffer.concat([...readings.slice(0, 50), retained, ...readings.slice(50)]))
    const persistence = (broker.instance as unknown as { persistence: unknown }).persistence as {
      createRetainedStream(pattern: string): AsyncIterable<{ topic: string; payload: Buffer }>
    }
    let stored: { topic: string; payload: Buffer } | undefined
    for (let tries = 0; !stored && tries < 100; tries++) {
      for await (const packet of persistence.createRetainedStream('r/#')) stored = packet
      if (!stored) await sleep(10)
    }
    expect(stored?.payload.toString()).toBe('on')
    // Two bytes of its own: the ~2.5 KB the connection read in one go is not kept alive for it.
    expect(stored?.payload.buffer.byteLength).toBe(2)
  })

  it('a persistent session offline queue is capped', async () => {
    const { url, broker } = await startBroker({ maxOfflineQueue: 10 })
    cleanup.push(() => broker.stop())
    const sub = await connectClient(url, { clientId: 'slowpoke', clean: false })
    await sub.subscribeAsync('q/#', { qos: 1 })
    await sub.endAsync()
    const pub = await connectClient(url)
    cleanup.push(() => pub.endAsync())
    for (let i = 0; i < 30; i++) await pub.publishAsync('q/x', String(i), { qos: 1 })
    expect(broker.refusals.count('offline_queue_full')).toBe(20)
    const back = mqtt.connect(url, { clientId: 'slowpoke', clean: false, reconnectPeriod: 0 })
    cleanup.push(() => back.endAsync())
    const got: string[] = []
    back.on('message', (_t, payload) => got.push(payload.toString()))
    await sleep(300)
    expect(got).toEqual(Array.from({ length: 10 }, (_, i) => String(i)))
  })
})
