import { describe, expect, it } from 'vitest'
import type { CommandOutcome } from '../../../src/commands/command-outcome.js'
import { UPSTREAM } from '../../../src/sinks/upstream/extension.js'
import { fixtureCatalog } from '../../devices/fixture-catalog.js'
import { useCleanup } from '../../helpers/cleanup.js'
import { startTestGateway } from '../../helpers/gateway.js'
import { startMosquitto } from '../../helpers/mosquitto.js'
import { collect, connectClient } from '../../helpers/mqtt.js'

const cleanup = useCleanup()

async function central() {
  const broker = await startMosquitto()
  cleanup.push(() => broker.dispose())
  const observer = await connectClient(broker.url)
  cleanup.push(() => observer.endAsync())
  return { broker, observer }
}

describe('upstream: forward and receive through a real mosquitto', () => {
  it('forwards under the prefix (QoS 1 and QoS 0 filters), says online and offline retained', async () => {
    const { broker, observer } = await central()
    const seen = await collect(observer, 'sites/g1/#')
    const gw = await startTestGateway({
      upstream: {
        url: broker.url,
        clientId: 'g1',
        prefix: 'sites/g1',
        forward: ['alerts/#', 'plant/+/state', { filter: 'plant/+/fast', qos: 0 }],
      },
    })
    let stopped = false
    cleanup.push(() => (stopped ? undefined : gw.gateway.stop()))
    await seen.next(1)
    expect(seen.messages[0]).toMatchObject({ topic: 'sites/g1/tidegate/status', retain: false })
    expect(seen.messages[0]?.payload.toString()).toBe('online')
    const local = await connectClient(gw.mqttUrl)
    cleanup.push(() => local.endAsync())
    await local.publishAsync('plant/p1/state', '{"on":true}', { qos: 1, retain: true })
    await local.publishAsync('plant/p1/fast', 'x', { qos: 0 })
    await local.publishAsync('plant/p1/other', 'not forwarded', { qos: 1 })
    await gw.gateway.broker.publish('alerts/hot/south', '{"state":"firing"}', { qos: 1, retain: true })
    await seen.next(4)
    const got = seen.messages.slice(1).map((m) => [m.topic, m.payload.toString()])
    expect(got).toEqual(
      expect.arrayContaining([
        ['sites/g1/plant/p1/state', '{"on":true}'],
        ['sites/g1/plant/p1/fast', 'x'],
        ['sites/g1/alerts/hot/south', '{"state":"firing"}'],
      ]),
    )
    expect(got).toHaveLength(3)
    const view = gw.gateway.context.services.get(UPSTREAM)!
    await expect.poll(() => view.readiness().detail['delivered']).toBe(2)
    expect(view.readiness().detail).toMatchObject({ connected: true, pending: 0 })
    // Retained upstream too: a late subscriber sees the last state, and the presence.
    const late = await connectClient(broker.url)
    cleanup.push(() => late.endAsync())
    const retained = await collect(late, 'sites/g1/#')
    await retained.next(3)
    expect(retained.messages.map((m) => m.topic).sort()).toEqual([
      'sites/g1/alerts/hot/south',
      'sites/g1/plant/p1/state',
      'sites/g1/tidegate/status',
    ])
    stopped = true
    await gw.gateway.stop()
    await expect
      .poll(() =>
        seen.messages.filter((m) => m.topic === 'sites/g1/tidegate/status').map((m) => m.payload.toString()),
      )
      .toEqual(['online', 'offline'])
  })

  it('a command from upstream goes through the dispatcher; the device ack travels back up; reserved topics are refused', async () => {
    const { broker, observer } = await central()
    const catalog = fixtureCatalog()
    cleanup.push(catalog.remove)
    const gw = await startTestGateway({
      catalog: catalog.dir,
      devices: { commands: { minInterval: 0 } },
      upstream: {
        url: broker.url,
        prefix: 'sites/g2',
        // MQTT 5 (No Local): `#` may overlap what is forwarded without a loop.
        protocolVersion: 5,
        forward: ['tidegate/commands/+/+/result'],
        receive: ['devices/+/commands/#', 'plant/#', '#'],
      },
    })
    cleanup.push(() => gw.gateway.stop())
    const acks = await collect(observer, 'sites/g2/devices/+/acks')
    const resultClient = await connectClient(broker.url)
    cleanup.push(() => resultClient.endAsync())
    const results = await collect(resultClient, 'sites/g2/tidegate/commands/+/+/result')
    // The switch, online on the gateway's broker, acks what it gets.
    const device = await connectClient(gw.mqttUrl, { clientId: 'sw1' })
    cleanup.push(() => device.endAsync())
    const received: { id: string; params: unknown; source: string }[] = []
    device.on('message', (_topic, payload) => {
      const cmd = JSON.parse(payload.toString()) as { id: string; params: unknown; source: string }
      received.push(cmd)
      device.publish('devices/sw1/acks', JSON.stringify({ id: cmd.id, status: 'ok' }), { qos: 1 })
    })
    await device.subscribeAsync('devices/sw1/commands/#', { qos: 1 })
    await device.publishAsync('devices/sw1/availability', 'online', { qos: 1, retain: true })
    const view = gw.gateway.context.services.get(UPSTREAM)!
    await expect.poll(() => view.readiness().detail['connected']).toBe(true)
    // Invalid params are refused by the dispatcher (validation), a valid command is delivered and acked.
    await observer.publishAsync('sites/g2/devices/sw1/commands/set', '{"on":"yes"}', { qos: 1 })
    await observer.publishAsync('sites/g2/devices/sw1/commands/set', '{"on":true}', { qos: 1 })
    await acks.next(1, 10_000)
    expect(received).toEqual([expect.objectContaining({ params: { on: true }, source: 'upstream' })])
    expect(JSON.parse(acks.messages[0]?.payload.toString() ?? '{}')).toMatchObject({
      id: received[0]?.id,
      status: 'ok',
    })
    await results.next(3, 10_000)
    const statuses = results.messages.map((m) => (JSON.parse(m.payload.toString()) as CommandOutcome).status)
    expect(statuses).toEqual(expect.arrayContaining(['refused', 'sent', 'acked']))
    // Never tidegate/# or alerts/# from upstream, whatever the receive filters say.
    const local = await connectClient(gw.mqttUrl)
    cleanup.push(() => local.endAsync())
    const localSeen = await collect(local, '#')
    await observer.publishAsync('sites/g2/alerts/fake/x', 'no', { qos: 1 })
    await observer.publishAsync('sites/g2/tidegate/commands/sw1/set', '{"on":false}', { qos: 1 })
    await observer.publishAsync('sites/g2/plant/p9/setpoint', '21', { qos: 1 })
    const svc = gw.gateway.context.services.get(UPSTREAM)!
    const refused = () =>
      svc
        .metricSamples()
        .filter((s) => s.name === 'tidegate_upstream_refused_total' && s.labels?.['reason'] === 'reserved')
    // The two above, and the retained presence, which Mosquitto hands out on subscribe despite No Local.
    await expect.poll(() => refused()[0]?.value ?? 0).toBeGreaterThanOrEqual(2)
    await expect.poll(() => localSeen.messages.some((m) => m.topic === 'plant/p9/setpoint')).toBe(true)
    const topics = localSeen.messages.map((m) => m.topic)
    expect(topics).not.toContain('alerts/fake/x')
    expect(topics).not.toContain('tidegate/commands/sw1/set')
    expect(received).toHaveLength(1)
  })
})
