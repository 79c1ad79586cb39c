import { describe, expect, it } from 'vitest'
import { UPSTREAM } from '../../../src/sinks/upstream/extension.js'
import { useCleanup } from '../../helpers/cleanup.js'
import { startTestGateway } from '../../helpers/gateway.js'
import { connectClient } from '../../helpers/mqtt.js'
import { steadyLoad } from '../outbox/helpers/load.js'
import { sleep } from '../outbox/helpers/make-outbox.js'
import { centralWithCollector, firstArrivalsInOrder } from './arrivals.js'

const cleanup = useCleanup()

describe('upstream outage under load', () => {
  it('30 s without the central broker: every acknowledged message arrives, in order per topic', async () => {
    const { broker, got } = await centralWithCollector(cleanup, 'sites/o1/devices/+/telemetry')
    const gw = await startTestGateway({
      upstream: { url: broker.url, prefix: 'sites/o1', forward: ['devices/+/telemetry'] },
    })
    cleanup.push(() => gw.gateway.stop())
    const device = await connectClient(gw.mqttUrl)
    cleanup.push(() => device.endAsync(true))
    const devices = ['o1', 'o2', 'o3', 'o4']
    const load = steadyLoad(device, devices, 20, Date.now() - 60_000) // 200 messages/s
    await sleep(1000)
    await broker.stop()
    await sleep(30_000)
    await broker.start()
    await sleep(1000)
    await load.stop()
    const view = gw.gateway.context.services.get(UPSTREAM)!
    const complete = () => devices.every((d) => new Set(got.get(d)).size >= (load.acked.get(d)?.length ?? 0))
    await expect.poll(complete, { timeout: 30_000, interval: 200 }).toBe(true)
    for (const d of devices) {
      const acked = load.acked.get(d) ?? []
      // Under load the publisher runs slower than 50/s per device; what matters is that all of it arrives.
      expect(acked.length).toBeGreaterThan(100)
      expect(new Set(got.get(d))).toEqual(new Set(acked))
      expect(firstArrivalsInOrder(got.get(d) ?? [])).toBe(true)
    }
    // The last PUBACKs from upstream settle their entries a moment after the messages arrived.
    await expect.poll(() => view.readiness().detail.pending, { timeout: 10_000, interval: 100 }).toBe(0)
    expect(view.readiness().detail.dropped).toEqual({})
  }, 120_000)
})
