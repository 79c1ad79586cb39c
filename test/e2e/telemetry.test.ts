import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { useCleanup } from '../helpers/cleanup.js'
import { queryUntil, startTestGateway } from '../helpers/gateway.js'
import { collect, connectClient } from '../helpers/mqtt.js'

const exec = promisify(execFile)
const cleanup = useCleanup()

describe('telemetry end to end', () => {
  it('a mosquitto_pub payload lands in InfluxDB with device tag and event time', async () => {
    const { gateway, mqttUrl, influx } = await startTestGateway()
    cleanup.push(() => gateway.stop())
    const port = new URL(mqttUrl).port
    await exec('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      port,
      '-q',
      '1',
      '-t',
      'devices/dev-1/telemetry',
      '-m',
      '{"temperature":21.5,"humidity":40,"ts":1700000000123,"zone":"north"}',
    ])
    const { columns, rows } = await queryUntil(influx, 'SELECT * FROM climate', (r) => r.length === 1)
    expect(rows).toHaveLength(1)
    const row = Object.fromEntries(columns.map((c, i) => [c, rows[0]?.[i]]))
    expect(row).toMatchObject({
      time: 1700000000123,
      device: 'dev-1',
      zone: 'north',
      temperature: 21.5,
      humidity: 40,
    })
  })

  it('broken payloads become dead letters and the gateway keeps serving', async () => {
    const { gateway, mqttUrl, influx } = await startTestGateway()
    cleanup.push(() => gateway.stop())
    const watcher = await connectClient(mqttUrl)
    cleanup.push(() => watcher.endAsync())
    const dead = await collect(watcher, 'tidegate/deadletter/#')
    const device = await connectClient(mqttUrl)
    cleanup.push(() => device.endAsync())
    await device.publishAsync('devices/d2/telemetry', '{not json', { qos: 1 })
    await device.publishAsync('devices/d2/telemetry', '{"temperature":"hot"}', { qos: 1 })
    await device.publishAsync('devices/d2/unknown-stream', '{"x":1}', { qos: 1 })
    await device.publishAsync('devices/d2/telemetry', Buffer.from([0xff, 0x00, 0x9c]), { qos: 1 })
    await dead.next(4)
    const byTopic = dead.messages.map((m) => ({ topic: m.topic, body: JSON.parse(m.payload.toString()) }))
    expect(byTopic.map((m) => m.topic)).toEqual([
      'tidegate/deadletter/invalid_json',
      'tidegate/deadletter/schema',
      'tidegate/deadletter/no_type',
      'tidegate/deadletter/invalid_json',
    ])
    expect(byTopic[0]?.body).toMatchObject({
      reason: 'invalid_json',
      topic: 'devices/d2/telemetry',
      payload: '{not json',
      encoding: 'utf8',
      device: 'd2',
    })
    expect(byTopic[1]?.body.errors.join(' ')).toContain('/temperature must be number')
    expect(byTopic[3]?.body).toMatchObject({
      encoding: 'base64',
      payload: Buffer.from([0xff, 0x00, 0x9c]).toString('base64'),
    })
    expect(gateway.deadLetters.counts.get('invalid_json')).toBe(2)
    // still serving
    await device.publishAsync('devices/d2/telemetry', '{"temperature":1}', { qos: 1 })
    const { rows } = await queryUntil(influx, 'SELECT temperature FROM climate', (r) => r.length === 1)
    expect(rows).toHaveLength(1)
  })

  it('JSON that is not an object, and an empty device level, are dead letters over MQTT too', async () => {
    const { gateway, mqttUrl } = await startTestGateway()
    cleanup.push(() => gateway.stop())
    const watcher = await connectClient(mqttUrl)
    cleanup.push(() => watcher.endAsync())
    const dead = await collect(watcher, 'tidegate/deadletter/#')
    const device = await connectClient(mqttUrl)
    cleanup.push(() => device.endAsync())
    for (const payload of ['[1,2]', '42', '"hot"']) {
      await device.publishAsync('devices/d4/telemetry', payload, { qos: 1 })
    }
    await device.publishAsync('devices//telemetry', '{"temperature":1}', { qos: 1 })
    await dead.next(4)
    const got = dead.messages.map((m) => ({ topic: m.topic, body: JSON.parse(m.payload.toString()) }))
    expect(got.map((m) => [m.topic, m.body.payload])).toEqual([
      ['tidegate/deadletter/schema', '[1,2]'],
      ['tidegate/deadletter/schema', '42'],
      ['tidegate/deadletter/schema', '"hot"'],
      ['tidegate/deadletter/no_type', '{"temperature":1}'],
    ])
    expect(got[0]?.body).toMatchObject({ errors: ['payload must be a JSON object'], device: 'd4' })
    expect(gateway.deadLetters.counts.get('schema')).toBe(3)
    expect(gateway.deadLetters.total()).toBe(4)
  })

  it('other clients can subscribe to what devices publish (a real broker)', async () => {
    const { gateway, mqttUrl } = await startTestGateway()
    cleanup.push(() => gateway.stop())
    const sub = await connectClient(mqttUrl)
    cleanup.push(() => sub.endAsync())
    const got = await collect(sub, 'devices/+/telemetry')
    const device = await connectClient(mqttUrl)
    cleanup.push(() => device.endAsync())
    await device.publishAsync('devices/d3/telemetry', '{"temperature":5}', { qos: 0 })
    await got.next(1)
    expect(got.messages[0]?.payload.toString()).toBe('{"temperature":5}')
  })
})
