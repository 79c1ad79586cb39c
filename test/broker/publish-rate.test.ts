import type { PublishPacket } from 'aedes'
import { describe, expect, it } from 'vitest'
import { useCleanup } from '../helpers/cleanup.js'
import { RawClient, rawPublish, startBroker, until } from './raw-client.js'

const cleanup = useCleanup()

/** A broker whose ingest hook records every publish that reached it (what the gateway would keep). */
async function setup(publishRate: Record<string, unknown>) {
  const ingested: PublishPacket[] = []
  const b = await startBroker(
    { publishRate },
    {
      authorizePublish: (client, packet, done) => {
        // The facade's message is Aedes' packet underneath (messageId included), which this test checks.
        if (client) ingested.push(packet as unknown as PublishPacket)
        done(null)
      },
    },
  )
  cleanup.push(() => b.broker.stop())
  const raw = await RawClient.open(b.port)
  cleanup.push(() => raw.close())
  await raw.handshake({ clientId: 'aggregator' })
  raw.received = Buffer.alloc(0)
  return { ...b, raw, ingested }
}

const flood = (n: number, qos: number) =>
  Buffer.concat(
    Array.from({ length: n }, (_, i) =>
      rawPublish(Buffer.from('devices/d/telemetry'), Buffer.from(String(i)), qos, i + 1),
    ),
  )

describe('publish rate limit over real TCP', () => {
  it('by default a client over its rate is slowed (back-pressure): every publish arrives, in order, none dropped', async () => {
    const { raw, ingested, broker } = await setup({ perSecond: 400, burst: 50 })
    const t0 = Date.now()
    raw.send(flood(450, 0))
    await until(() => ingested.length === 450)
    // 400 publishes beyond the burst at 400/s: the bucket paced them, it did not drop them.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(800)
    expect(ingested.map((p) => (p.payload as Buffer).toString())).toEqual(
      Array.from({ length: 450 }, (_, i) => String(i)),
    )
    expect(broker.refusals.count('rate_limited')).toBe(0)
    expect(broker.refusals.count('rate_throttled')).toBeGreaterThan(0)
    expect(raw.closed).toBe(false)
  })

  it('with onExceed: drop a QoS 1 publish over the rate is never acknowledged and then dropped', async () => {
    const { raw, ingested, broker } = await setup({ perSecond: 100, burst: 5, onExceed: 'drop' })
    // Invariant checked on every byte the client receives: a PUBACK only for what ingest already has.
    let ackedBeforeIngest = 0
    raw.socket.on('data', () => {
      if (raw.received.length / 4 > ingested.length) ackedBeforeIngest++
    })
    raw.send(flood(60, 1))
    await until(() => raw.received.length === 60 * 4)
    expect(ackedBeforeIngest).toBe(0)
    expect(ingested.map((p) => p.messageId)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1))
    expect(broker.refusals.count('rate_limited')).toBe(0)
    expect(broker.refusals.count('rate_throttled')).toBeGreaterThan(0)
  })

  it('with onExceed: drop QoS 0 over the rate is dropped and counted (never acknowledged, nothing to lose)', async () => {
    const { raw, ingested, broker } = await setup({ perSecond: 1, burst: 3, onExceed: 'drop' })
    raw.send(flood(10, 0))
    await until(() => broker.refusals.count('rate_limited') === 7)
    expect(ingested.map((p) => (p.payload as Buffer).toString())).toEqual(['0', '1', '2'])
  })

  it('a role in exemptRoles has no limit', async () => {
    const { raw, ingested, broker } = await setup({ perSecond: 1, burst: 1, exemptRoles: ['anonymous'] })
    const t0 = Date.now()
    raw.send(flood(300, 0))
    await until(() => ingested.length === 300)
    expect(Date.now() - t0).toBeLessThan(2000)
    expect(broker.refusals.count('rate_throttled')).toBe(0)
  })
})
