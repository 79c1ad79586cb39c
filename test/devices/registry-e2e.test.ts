import { writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { capturedLogger } from '../helpers/captured-logger.js'
import { useCleanup } from '../helpers/cleanup.js'
import { queryUntil, startTestGateway } from '../helpers/gateway.js'
import { collect, connectClient } from '../helpers/mqtt.js'
import { fixtureCatalog } from './fixture-catalog.js'

const cleanup = useCleanup()

async function setup(devices: Record<string, unknown> = {}) {
  const catalog = fixtureCatalog()
  cleanup.push(catalog.remove)
  const gw = await startTestGateway({ catalog: catalog.dir, devices })
  cleanup.push(() => gw.gateway.stop())
  const device = await connectClient(gw.mqttUrl)
  cleanup.push(() => device.endAsync())
  return { ...gw, device }
}

const rowsAsObjects = (r: { columns: string[]; rows: unknown[][] }) =>
  r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c, row[i]])))

describe('device registry through the real broker', () => {
  it('registry tags are on every InfluxDB point of the device, payload tags kept', async () => {
    const { device, influx } = await setup()
    await device.publishAsync('devices/s1/telemetry', '{"temperature":20.5,"zone":"z9","ts":1700000000000}', {
      qos: 1,
    })
    await device.publishAsync('devices/unlisted-1/telemetry', '{"temperature":7,"ts":1700000000001}', {
      qos: 1,
    })
    const result = await queryUntil(influx, 'SELECT * FROM climate', (r) => r.length === 2)
    expect(rowsAsObjects(result)).toEqual([
      expect.objectContaining({ device: 's1', site: 'lab', room: 'r1', zone: 'z9', temperature: 20.5 }),
      expect.objectContaining({ device: 'unlisted-1', site: null, room: null, temperature: 7 }),
    ])
  })

  it('allowUnknown false: an unregistered device is dead-lettered unknown_device and listed as seen', async () => {
    const { gateway, device, mqttUrl, influx } = await setup({ allowUnknown: false })
    const watcher = await connectClient(mqttUrl)
    cleanup.push(() => watcher.endAsync())
    const dead = await collect(watcher, 'tidegate/deadletter/#')
    await device.publishAsync('devices/intruder/telemetry', '{"temperature":99}', { qos: 1 })
    await device.publishAsync('devices/intruder/telemetry', '{"temperature":98}', { qos: 1 })
    await device.publishAsync('devices/s1/telemetry', '{"temperature":20}', { qos: 1 })
    await dead.next(2)
    const letter = JSON.parse(dead.messages[0]?.payload.toString() ?? '{}')
    expect(dead.messages[0]?.topic).toBe('tidegate/deadletter/unknown_device')
    expect(letter).toMatchObject({
      reason: 'unknown_device',
      device: 'intruder',
      topic: 'devices/intruder/telemetry',
    })
    expect(letter.errors[0]).toContain('not in the registry')
    const registry = gateway.context.devices.registry
    expect(registry.unregistered()).toEqual([
      expect.objectContaining({ id: 'intruder', type: 'test-sensor', messages: 2, accepted: false }),
    ])
    const { rows } = await queryUntil(influx, 'SELECT temperature FROM climate', (r) => r.length === 1)
    expect(rows).toHaveLength(1) // only the registered device's reading
    // The operator view lists it too.
    const http = gateway.http.address
    const body = (await (await fetch(`http://127.0.0.1:${http.port}/devices`)).json()) as {
      unregistered: { id: string }[]
    }
    expect(body.unregistered.map((u) => u.id)).toEqual(['intruder'])
    // ... and the retained topic, for MQTT-only operators.
    const late = await connectClient(mqttUrl)
    cleanup.push(() => late.endAsync())
    const list = await collect(late, 'tidegate/devices/unregistered')
    await list.next(1, 3000)
    expect(JSON.parse(list.messages[0]?.payload.toString() ?? '[]')).toEqual([
      expect.objectContaining({ id: 'intruder', accepted: false }),
    ])
  })

  it('duplicates (same seq, e.g. QoS 1 redelivery) are dropped, counted and dead-lettered', async () => {
    const { gateway, device, influx, mqttUrl } = await setup()
    const watcher = await connectClient(mqttUrl)
    cleanup.push(() => watcher.endAsync())
    const dead = await collect(watcher, 'tidegate/deadletter/duplicate')
    for (const seq of [1, 2, 2, 3, 1, 4])
      await device.publishAsync('devices/s1/telemetry', `{"temperature":${seq},"seq":${seq}}`, { qos: 1 })
    await dead.next(2)
    const { rows } = await queryUntil(influx, 'SELECT temperature FROM climate', (r) => r.length === 4)
    expect(rows.map((r) => r[1])).toEqual([1, 2, 3, 4])
    expect(gateway.context.hygiene.duplicates).toBe(2)
    expect(gateway.deadLetters.counts.get('duplicate')).toBe(2)
  })

  it('clock skew policy reject dead-letters a reading from a device whose clock is a day off', async () => {
    const { device, mqttUrl, influx } = await setup({ clockSkew: { max: '1m', policy: 'reject' } })
    const watcher = await connectClient(mqttUrl)
    cleanup.push(() => watcher.endAsync())
    const dead = await collect(watcher, 'tidegate/deadletter/clock_skew')
    await device.publishAsync('devices/s1/telemetry', `{"temperature":1,"ts":${Date.now() + 86_400_000}}`, {
      qos: 1,
    })
    await device.publishAsync('devices/s1/telemetry', `{"temperature":2,"ts":${Date.now()}}`, { qos: 1 })
    await dead.next(1)
    expect(JSON.parse(dead.messages[0]?.payload.toString() ?? '{}').errors[0]).toMatch(
      /24h0m\d+s ahead of arrival/,
    )
    const { rows } = await queryUntil(influx, 'SELECT temperature FROM climate', (r) => r.length === 1)
    expect(rows.map((r) => r[1])).toEqual([2])
  })
})

describe('registry reload', () => {
  it('an edited registry takes effect without a restart; a bad edit keeps the last good one', async () => {
    const catalog = fixtureCatalog(
      'version: 1\ndevices:\n  - { id: s1, type: test-sensor, tags: { room: r1 } }\n',
    )
    cleanup.push(catalog.remove)
    const logs = capturedLogger()
    const { gateway, mqttUrl } = await startTestGateway({ catalog: catalog.dir }, { logger: logs.logger })
    cleanup.push(() => gateway.stop())
    const device = await connectClient(mqttUrl)
    cleanup.push(() => device.endAsync())
    const tags: Record<string, string>[] = []
    const sub = gateway.events.subscribe((e) => {
      if (e.stream === 'telemetry') tags.push(e.tags)
    })
    cleanup.push(() => sub.unsubscribe())
    const registry = gateway.context.devices.registry
    const file = `${catalog.dir}/registry.yaml`
    writeFileSync(file, 'version: 1\ndevices:\n  - { id: s1, type: test-sensor, tags: { room: r7 } }\n')
    await until(() => registry.get('s1')?.tags['room'] === 'r7')
    await device.publishAsync('devices/s1/telemetry', '{"temperature":1}', { qos: 1 })
    writeFileSync(file, 'version: 1\ndevices:\n  - { id: s1, type: no-such-type, tags: { room: r9 } }\n')
    // The refusal is logged at the entry's line with its code (docs/errors.md).
    const refused = { level: 50, file, line: 3, code: 'TG_REGISTRY_UNKNOWN_TYPE' }
    await until(() => logs.lines.some((l) => Object.entries(refused).every(([k, v]) => l[k] === v)))
    expect(registry.get('s1')?.tags).toEqual({ room: 'r7' })
    await device.publishAsync('devices/s1/telemetry', '{"temperature":2}', { qos: 1 })
    expect(tags).toEqual([{ room: 'r7' }, { room: 'r7' }])
  })
})

async function until(ok: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!ok()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 25))
  }
}
