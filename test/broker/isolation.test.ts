import { describe, expect, it } from 'vitest'
import { useCleanup } from '../helpers/cleanup.js'
import { queryUntil, startTestGateway } from '../helpers/gateway.js'
import { connectClient } from '../helpers/mqtt.js'
import { bytes, RawClient, rawPublish } from './raw-client.js'

const cleanup = useCleanup()

async function gatewayWith(mqtt: Record<string, unknown>) {
  const g = await startTestGateway({ mqtt: { listeners: [{ host: '127.0.0.1', port: 0 }], ...mqtt } })
  cleanup.push(() => g.gateway.stop())
  return { ...g, port: Number(new URL(g.mqttUrl).port) }
}

/** A well-behaved device: n QoS 1 points with distinct event times. */
async function goodDevice(url: string, id: string, n: number): Promise<void> {
  const dev = await connectClient(url, { clientId: id })
  cleanup.push(() => dev.endAsync())
  for (let i = 0; i < n; i++)
    await dev.publishAsync(
      `devices/${id}/telemetry`,
      JSON.stringify({ temperature: i % 50, ts: 1_700_000_000_000 + i }),
      { qos: 1 },
    )
}

describe('one hostile client does not affect another client’s data', () => {
  it('a publish flood is cut by the token bucket (dropped, counted) and an oversize packet closes only its sender', async () => {
    const { gateway, mqttUrl, port, influx } = await gatewayWith({
      publishRate: { perSecond: 500, burst: 300, onExceed: 'drop' },
      maxPacketBytes: 8192,
    })
    const flooder = await RawClient.open(port)
    cleanup.push(() => flooder.close())
    await flooder.handshake({ clientId: 'flood' })
    const flood = Buffer.concat(
      Array.from({ length: 5000 }, (_, i) =>
        rawPublish(
          Buffer.from('devices/flood/telemetry'),
          Buffer.from(JSON.stringify({ temperature: i % 50, ts: 1_700_000_000_000 + i })),
        ),
      ),
    )
    const floodSentAt = Date.now()
    flooder.send(flood)
    const good = goodDevice(mqttUrl, 'good', 200)
    await good
    const { rows } = await queryUntil(
      influx,
      "SELECT count(temperature) FROM climate WHERE device='good'",
      (r) => r[0]?.[1] === 200,
    )
    expect(rows[0]?.[1]).toBe(200)
    // Every flood message is either kept or dropped and counted; what was kept is what the bucket
    // allowed in the time the flood took (burst + rate × time; a loaded machine takes longer).
    const dropped = () => gateway.broker.refusals.count('rate_limited')
    const flooded = await queryUntil(
      influx,
      "SELECT count(temperature) FROM climate WHERE device='flood'",
      (r) => Number(r[0]?.[1] ?? 0) + dropped() === 5000,
    )
    const floodCount = Number(flooded.rows[0]?.[1] ?? 0)
    const floodSeconds = (Date.now() - floodSentAt) / 1000
    expect(floodCount + dropped()).toBe(5000)
    expect(floodCount).toBeLessThanOrEqual(300 + 500 * floodSeconds)
    expect(dropped()).toBeGreaterThan(1000)
    expect(flooder.closed).toBe(false)

    flooder.send(rawPublish(Buffer.from('devices/flood/telemetry'), Buffer.alloc(9000, 0x20)))
    await flooder.waitClosed()
    expect(gateway.broker.refusals.count('packet_too_large')).toBe(1)
    await goodDevice(mqttUrl, 'good2', 20)
    const after = await queryUntil(
      influx,
      "SELECT count(temperature) FROM climate WHERE device='good2'",
      (r) => r[0]?.[1] === 20,
    )
    expect(after.rows[0]?.[1]).toBe(20)
  })

  it('a subscriber that stops reading is disconnected within the drain timeout; others keep flowing', async () => {
    const { gateway, mqttUrl, port, influx } = await gatewayWith({
      slowSubscriberTimeout: '500ms',
      publishRate: { perSecond: 0 },
    })
    const stalled = await RawClient.open(port)
    cleanup.push(() => stalled.close())
    await stalled.handshake({ clientId: 'stalled' })
    stalled.send(bytes({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'bulk/#', qos: 0 }] }))
    await stalled.waitBytes(9)
    stalled.socket.pause() // stops reading: the kernel buffers fill, then the broker's writes back up

    const reader = await connectClient(mqttUrl, { clientId: 'reader' })
    cleanup.push(() => reader.endAsync())
    let readerGot = 0
    reader.on('message', () => readerGot++)
    await reader.subscribeAsync('bulk/#', { qos: 0 })

    const publisher = await connectClient(mqttUrl, { clientId: 'bulk-pub' })
    cleanup.push(() => publisher.endAsync())
    const payload = Buffer.alloc(100 * 1024, 0x61)
    const t0 = Date.now()
    const cut = () => gateway.broker.refusals.count('slow_subscriber') > 0
    for (let i = 0; i < 400 && !cut(); i++) await publisher.publishAsync('bulk/x', payload, { qos: 1 })
    while (!cut() && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20))
    const elapsed = Date.now() - t0
    expect(gateway.broker.refusals.count('slow_subscriber')).toBe(1)
    expect(elapsed).toBeLessThan(5000)
    // A paused socket does not read the FIN; reading again shows the broker closed it.
    stalled.socket.resume()
    await stalled.waitClosed(5000)

    await goodDevice(mqttUrl, 'during', 50)
    const { rows } = await queryUntil(
      influx,
      "SELECT count(temperature) FROM climate WHERE device='during'",
      (r) => r[0]?.[1] === 50,
    )
    expect(rows[0]?.[1]).toBe(50)
    expect(readerGot).toBeGreaterThan(0)
  })
})
