import type { MqttClient } from 'mqtt'
import { describe, expect, it } from 'vitest'
import type { Event } from '../../src/core/event.js'
import { useCleanup } from '../helpers/cleanup.js'
import { queryUntil, startTestGateway } from '../helpers/gateway.js'
import { collect, connectClient } from '../helpers/mqtt.js'
import { fixtureCatalog } from './fixture-catalog.js'

const cleanup = useCleanup()

async function setup() {
  const catalog = fixtureCatalog()
  cleanup.push(catalog.remove)
  const gw = await startTestGateway({ catalog: catalog.dir })
  cleanup.push(() => gw.gateway.stop())
  const events: Event[] = []
  const sub = gw.gateway.events.subscribe((e) => {
    if (e.stream === 'availability') events.push(e)
  })
  cleanup.push(() => sub.unsubscribe())
  const watcher = await connectClient(gw.mqttUrl, { clientId: 'watcher' })
  cleanup.push(() => watcher.endAsync())
  const seen = await collect(watcher, 'devices/+/availability')
  // The device's raw will payload passes through too; it is kept as { raw } for the assertions.
  const parse = (text: string): Record<string, unknown> => {
    try {
      return JSON.parse(text) as Record<string, unknown>
    } catch {
      return { raw: text }
    }
  }
  const bodies = (): Record<string, unknown>[] =>
    seen.messages.map((m) => ({ topic: m.topic, ...parse(m.payload.toString()) }))
  return { ...gw, events, seen, bodies }
}

const track = (c: MqttClient) => {
  cleanup.push(() => c.endAsync(true))
  return c
}

describe('availability through the real broker', () => {
  it('a device is online on connect and offline on a clean disconnect, retained, in InfluxDB and as events', async () => {
    const { mqttUrl, seen, bodies, events, influx } = await setup()
    const device = await connectClient(mqttUrl, { clientId: 's1' })
    await seen.next(1)
    expect(bodies()[0]).toMatchObject({
      topic: 'devices/s1/availability',
      status: 'online',
      reason: 'connected',
    })
    await device.endAsync()
    await seen.next(2)
    expect(bodies()[1]).toMatchObject({ status: 'offline', reason: 'disconnected' })
    expect(typeof bodies()[1]?.['since']).toBe('number')
    // retained: a late subscriber learns the current state
    const late = track(await connectClient(mqttUrl))
    const retained = await collect(late, 'devices/s1/availability')
    await retained.next(1)
    expect(retained.messages[0]?.retain).toBe(true)
    expect(JSON.parse(retained.messages[0]?.payload.toString() ?? '')).toMatchObject({ status: 'offline' })
    expect(events.map((e) => [e.device, e.data['status'], e.data['reason'], e.tags['room']])).toEqual([
      ['s1', 'online', 'connected', 'r1'],
      ['s1', 'offline', 'disconnected', 'r1'],
    ])
    const { columns, rows } = await queryUntil(influx, 'SELECT * FROM availability', (r) => r.length === 2)
    const table = rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]])))
    expect(table).toMatchObject([
      { device: 's1', type: 'test-sensor', site: 'lab', status: 'online', online: 1, reason: 'connected' },
      { device: 's1', status: 'offline', online: 0, reason: 'disconnected' },
    ])
  })

  it('an abrupt disconnect fires the will: offline with reason will, and the retained state stays the gateway’s JSON', async () => {
    const { mqttUrl, seen, bodies } = await setup()
    const device = await connectClient(mqttUrl, {
      clientId: 's1',
      will: { topic: 'devices/s1/availability', payload: Buffer.from('offline'), qos: 1, retain: true },
    })
    await seen.next(1)
    device.stream.destroy()
    await device.endAsync(true)
    // offline (will) from the gateway, the raw will itself, then the gateway's view again
    await seen.next(4)
    expect(bodies().at(-1)).toMatchObject({ status: 'offline', reason: 'will' })
    const gatewayViews = bodies().filter((b) => b['status'] !== undefined)
    expect(gatewayViews.map((b) => `${b['status']}:${b['reason']}`)).toEqual([
      'online:connected',
      'offline:will',
      'offline:will',
    ])
    const late = track(await connectClient(mqttUrl))
    const retained = await collect(late, 'devices/s1/availability')
    await retained.next(1)
    expect(JSON.parse(retained.messages[0]?.payload.toString() ?? '')).toMatchObject({
      status: 'offline',
      reason: 'will',
    })
  })

  it('a lost connection without a will is connection_lost; a device learnt from its topics goes offline too', async () => {
    const { mqttUrl, seen, bodies } = await setup()
    // client id is not a device id: the device is learnt from the topic it publishes on
    const device = await connectClient(mqttUrl, { clientId: 'esp-00af31' })
    await device.publishAsync('devices/s2/telemetry', '{"temperature":20}', { qos: 1 })
    await seen.next(1)
    expect(bodies()[0]).toMatchObject({ topic: 'devices/s2/availability', status: 'online' })
    device.stream.destroy()
    await device.endAsync(true)
    await seen.next(2)
    expect(bodies()[1]).toMatchObject({
      topic: 'devices/s2/availability',
      status: 'offline',
      reason: 'connection_lost',
    })
  })

  it('silence longer than the type’s offlineAfter is offline (silent); the next message brings it back', async () => {
    const { mqttUrl, seen, bodies } = await setup()
    const device = track(await connectClient(mqttUrl, { clientId: 'publisher' }))
    await device.publishAsync('devices/s1/telemetry', '{"temperature":20}', { qos: 1 })
    await seen.next(1)
    const onlineAt = Date.now()
    await seen.next(2, 3000)
    expect(Date.now() - onlineAt).toBeGreaterThanOrEqual(300)
    expect(bodies()[1]).toMatchObject({ status: 'offline', reason: 'silent' })
    await device.publishAsync('devices/s1/telemetry', '{"temperature":21}', { qos: 1 })
    await seen.next(3)
    expect(bodies()[2]).toMatchObject({ status: 'online', reason: 'message' })
  })
})

describe('availability at gateway shutdown', () => {
  it('stopping the gateway does not report its devices offline', async () => {
    const catalog = fixtureCatalog()
    cleanup.push(catalog.remove)
    const { gateway, mqttUrl, influx } = await startTestGateway({ catalog: catalog.dir })
    const events: string[] = []
    gateway.events.subscribe((e) => {
      if (e.stream === 'availability') events.push(`${e.device}:${e.data['status']}`)
    })
    const device = await connectClient(mqttUrl, {
      clientId: 's1',
      will: { topic: 'devices/s1/availability', payload: Buffer.from('offline'), qos: 1, retain: true },
    })
    cleanup.push(() => device.endAsync(true))
    await queryUntil(influx, 'SELECT * FROM availability', (r) => r.length === 1)
    await gateway.stop()
    expect(events).toEqual(['s1:online'])
    const { rows } = await influx.query('SELECT * FROM availability').then((r) => ({
      rows: r.results[0]?.series?.[0]?.values ?? [],
    }))
    expect(rows).toHaveLength(1)
  })
})
