import { describe, expect, it } from 'vitest'
import type { CommandOutcome } from '../../src/commands/command-outcome.js'
import type { Event } from '../../src/core/event.js'
import { useCleanup } from '../helpers/cleanup.js'
import { queryUntil, startTestGateway } from '../helpers/gateway.js'
import { collect, connectClient } from '../helpers/mqtt.js'
import { fixtureCatalog } from '../devices/fixture-catalog.js'

const cleanup = useCleanup()

// The fixture switch type: `set {on: boolean}`, timeout 300ms, 1 retry.
async function setup(commands: Record<string, unknown> = {}) {
  const catalog = fixtureCatalog()
  cleanup.push(catalog.remove)
  const gw = await startTestGateway({
    catalog: catalog.dir,
    devices: { commands: { minInterval: 0, ...commands } },
  })
  cleanup.push(() => gw.gateway.stop())
  const events: Event[] = []
  const sub = gw.gateway.events.subscribe((e) => {
    if (e.stream === 'command_timeout') events.push(e)
  })
  cleanup.push(() => sub.unsubscribe())
  const observer = await connectClient(gw.mqttUrl)
  cleanup.push(() => observer.endAsync())
  const results = await collect(observer, 'tidegate/commands/+/+/result')
  const outcomes = () => results.messages.map((m) => JSON.parse(m.payload.toString()) as CommandOutcome)
  return { ...gw, events, results, outcomes }
}

/** A switch device: connects with its id as client id, receives commands, acks when `answer` says so. */
async function switchDevice(url: string, id: string, answer: 'ok' | 'error' | 'never') {
  const client = await connectClient(url, { clientId: id })
  cleanup.push(() => client.endAsync())
  const received: Record<string, unknown>[] = []
  client.on('message', (topic, payload) => {
    if (!topic.startsWith(`devices/${id}/commands/`)) return
    const cmd = JSON.parse(payload.toString()) as { id: string }
    received.push(cmd)
    if (answer !== 'never')
      client.publish(
        `devices/${id}/acks`,
        JSON.stringify({ id: cmd.id, status: answer, message: 'jammed' }),
        {
          qos: 1,
        },
      )
  })
  await client.subscribeAsync(`devices/${id}/commands/#`, { qos: 1 })
  return { client, received }
}

describe('commands with acknowledgement through the real broker', () => {
  it('a command is validated, published QoS 1 with an id, acked, and recorded in InfluxDB', async () => {
    const { gateway, mqttUrl, results, outcomes, influx } = await setup()
    const device = await switchDevice(mqttUrl, 'sw1', 'ok')
    const sent = gateway.context.commands.send({
      device: 'sw1',
      name: 'set',
      params: { on: true },
      source: 'rule:r1',
    })
    expect(sent).toMatchObject({ accepted: true })
    const id = sent.accepted ? sent.id : ''
    await results.next(2)
    expect(device.received).toEqual([
      expect.objectContaining({ id, name: 'set', params: { on: true }, source: 'rule:r1', attempt: 1 }),
    ])
    expect(outcomes().map((o) => o.status)).toEqual(['sent', 'acked'])
    expect(outcomes()[1]).toMatchObject({ id, device: 'sw1', type: 'test-switch' })
    const r = await queryUntil(influx, 'SELECT * FROM commands', (rows) => rows.length === 2)
    const rows = r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c, row[i]])))
    expect(rows).toEqual([
      expect.objectContaining({
        id,
        status: 'sent',
        device: 'sw1',
        command: 'set',
        source: 'rule:r1',
        room: 'r1',
      }),
      expect.objectContaining({ id, status: 'acked', attempt: 1, params: '{"on":true}' }),
    ])
  })

  it('no ack: retried with the same id, then a timeout outcome, a command_timeout event and an InfluxDB row', async () => {
    const { gateway, mqttUrl, results, outcomes, events, influx } = await setup()
    const device = await switchDevice(mqttUrl, 'sw2', 'never')
    const sent = gateway.context.commands.send({
      device: 'sw2',
      name: 'set',
      params: { on: false },
      source: 'test',
    })
    const id = sent.accepted ? sent.id : 'not accepted'
    await results.next(3, 5000)
    expect(outcomes().map((o) => `${o.status}#${o.attempt}`)).toEqual(['sent#1', 'sent#2', 'timeout#2'])
    expect(device.received.map((c) => [c['id'], c['attempt']])).toEqual([
      [id, 1],
      [id, 2],
    ])
    expect(events).toEqual([
      expect.objectContaining({
        stream: 'command_timeout',
        device: 'sw2',
        type: 'test-switch',
        data: expect.objectContaining({ id, name: 'set', attempts: 2, reason: 'timeout' }),
        tags: { site: 'lab', room: 'r2' },
      }),
    ])
    const { rows } = await queryUntil(
      influx,
      `SELECT reason FROM commands WHERE status = 'timeout'`,
      (r) => r.length === 1,
    )
    expect(String(rows[0]?.[1])).toContain('no ack after 2 attempt(s)')
  })

  it('a device error ack is a failed outcome with the device’s message', async () => {
    const { gateway, mqttUrl, results, outcomes } = await setup()
    await switchDevice(mqttUrl, 'sw1', 'error')
    gateway.context.commands.send({ device: 'sw1', name: 'set', params: { on: true }, source: 'test' })
    await results.next(2)
    expect(outcomes()[1]).toMatchObject({ status: 'failed', reason: 'jammed' })
  })

  it('an invalid command is refused with a clear error, from code and from the operator topic', async () => {
    const { gateway, mqttUrl, results, outcomes } = await setup()
    const device = await switchDevice(mqttUrl, 'sw1', 'ok')
    expect(
      gateway.context.commands.send({ device: 'sw1', name: 'set', params: { on: 'yes' }, source: 'test' }),
    ).toMatchObject({ accepted: false, reason: 'invalid params: /on must be boolean' })
    const operator = await connectClient(mqttUrl, { clientId: 'ops-console' })
    cleanup.push(() => operator.endAsync())
    await operator.publishAsync('tidegate/commands/sw1/explode', '{}', { qos: 1 })
    await operator.publishAsync('tidegate/commands/sw1/set', '{on: true', { qos: 1 })
    await results.next(3)
    expect(outcomes().map((o) => [o.status, o.source, o.reason])).toEqual([
      ['refused', 'test', 'invalid params: /on must be boolean'],
      ['refused', 'operator:ops-console', 'device type "test-switch" has no command "explode" (it has: set)'],
      ['refused', 'operator:ops-console', expect.stringContaining('params are not JSON')],
    ])
    expect(device.received).toEqual([])
  })

  it('an operator command on tidegate/commands/<device>/<name> goes to the device and is acked', async () => {
    const { mqttUrl, results, outcomes } = await setup()
    const device = await switchDevice(mqttUrl, 'sw1', 'ok')
    const operator = await connectClient(mqttUrl, { clientId: 'ops-console' })
    cleanup.push(() => operator.endAsync())
    await operator.publishAsync('tidegate/commands/sw1/set', '{"on":true}', { qos: 1 })
    await results.next(2)
    expect(outcomes().map((o) => [o.status, o.source])).toEqual([
      ['sent', 'operator:ops-console'],
      ['acked', 'operator:ops-console'],
    ])
    expect(device.received[0]).toMatchObject({ params: { on: true } })
  })

  it('offline policy refuse: a command to a device that is not connected is refused', async () => {
    const { gateway } = await setup({ offline: 'refuse' })
    expect(
      gateway.context.commands.send({ device: 'sw1', name: 'set', params: { on: true }, source: 'test' }),
    ).toEqual(
      expect.objectContaining({
        accepted: false,
        reason: 'device sw1 is offline (devices.commands.offline: refuse)',
      }),
    )
  })

  it('offline policy queue: the command waits and is delivered when the device connects', async () => {
    const { gateway, mqttUrl, results, outcomes } = await setup({ offline: 'queue' })
    const sent = gateway.context.commands.send({
      device: 'sw1',
      name: 'set',
      params: { on: true },
      source: 'test',
    })
    expect(sent.accepted).toBe(true)
    await results.next(1)
    expect(outcomes()[0]?.status).toBe('queued')
    const device = await switchDevice(mqttUrl, 'sw1', 'ok')
    await results.next(3)
    // Sent once the device subscribed to its command topic, so the first attempt is the one acked.
    expect(outcomes().map((o) => `${o.status}#${o.attempt}`)).toEqual(['queued#0', 'sent#1', 'acked#1'])
    expect(device.received).toHaveLength(1)
  })
})
