import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { UPSTREAM } from '../../../src/sinks/upstream/extension.js'
import { useCleanup } from '../../helpers/cleanup.js'
import { startTestGateway } from '../../helpers/gateway.js'
import { startMosquitto } from '../../helpers/mosquitto.js'
import { collect, connectClient } from '../../helpers/mqtt.js'
import { makeTestCa } from '../../helpers/test-ca.js'
import { centralWithCollector } from './arrivals.js'

const cleanup = useCleanup()

const upstreamOf = (gw: Awaited<ReturnType<typeof startTestGateway>>) =>
  gw.gateway.context.services.get(UPSTREAM)!

describe('upstream buffer bound and TLS', () => {
  it('when the buffer is full the oldest go first, counted; the newest arrive after the outage', async () => {
    const { broker, got } = await centralWithCollector(cleanup, 'sites/b1/devices/+/telemetry')
    await broker.stop()
    const gw = await startTestGateway({
      upstream: {
        url: broker.url,
        prefix: 'sites/b1',
        forward: ['devices/+/telemetry'],
        buffer: { maxBytes: '8KiB' },
      },
    })
    cleanup.push(() => gw.gateway.stop())
    const device = await connectClient(gw.mqttUrl)
    cleanup.push(() => device.endAsync())
    const n = 300
    for (let seq = 0; seq < n; seq++)
      await device.publishAsync('devices/b1/telemetry', JSON.stringify({ temperature: 20, seq }), { qos: 1 })
    // The local PUBACK does not wait for the upstream outbox (docs/upstream.md): it stores a moment later.
    await expect.poll(() => upstreamOf(gw).stats().accepted).toBe(n)
    const stats = upstreamOf(gw).stats()
    const dropped = stats.dropped['buffer_full'] ?? 0
    expect(dropped).toBeGreaterThan(100)
    expect(stats.pendingBytes).toBeLessThanOrEqual(8 * 1024)
    expect(stats.pendingPoints + dropped).toBe(n)
    await broker.start()
    await expect.poll(() => got.get('b1')?.length ?? 0, { timeout: 20_000 }).toBe(n - dropped)
    // Exactly the newest survive, in order.
    expect(got.get('b1')).toEqual(Array.from({ length: n - dropped }, (_, i) => dropped + i))
  }, 60_000)

  it('mutual TLS with a test CA: forwards over mqtts; without the client certificate the broker refuses', async () => {
    const ca = makeTestCa()
    cleanup.push(ca.remove)
    const broker = await startMosquitto({
      tls: { ca: ca.ca, cert: ca.serverCert, key: ca.serverKey, requireClientCert: true },
    })
    cleanup.push(() => broker.dispose())
    const tls = {
      ca: readFileSync(ca.ca),
      cert: readFileSync(ca.clientCert),
      key: readFileSync(ca.clientKey),
    }
    const observer = await connectClient(broker.url, tls)
    cleanup.push(() => observer.endAsync())
    const seen = await collect(observer, 'sites/t1/plant/#')
    const gw = await startTestGateway({
      upstream: {
        url: broker.url,
        prefix: 'sites/t1',
        ca: ca.ca,
        cert: ca.clientCert,
        key: ca.clientKey,
        forward: ['plant/#'],
      },
    })
    cleanup.push(() => gw.gateway.stop())
    await expect.poll(() => upstreamOf(gw).readiness().detail.connected).toBe(true)
    await gw.gateway.broker.publish('plant/p1/state', 'on', { qos: 1 })
    await seen.next(1)
    expect(seen.messages[0]?.topic).toBe('sites/t1/plant/p1/state')
    const noCert = await startTestGateway({ upstream: { url: broker.url, ca: ca.ca, forward: ['plant/#'] } })
    cleanup.push(() => noCert.gateway.stop())
    await expect.poll(() => upstreamOf(noCert).readiness().detail.lastError, { timeout: 10_000 }).toBeTruthy()
    expect(upstreamOf(noCert).readiness().detail.connected).toBe(false)
  }, 60_000)
})
