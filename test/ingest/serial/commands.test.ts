import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SERIAL } from '../../../src/ingest/serial/extension.js'
import { useCleanup } from '../../helpers/cleanup.js'
import { startTestGateway } from '../../helpers/gateway.js'
import { collect, connectClient } from '../../helpers/mqtt.js'
import { PtyLab, until } from './helpers.js'

const cleanup = useCleanup()

/** A wired fan: reports `on`/`rpm` frames, takes `set` commands as a template line on its port. */
const WIRED_FAN = `
version: 1
type: wired-fan
topics: ["devices/{device}/fan-state"]
measurement: wired_fan
schema:
  type: object
  properties:
    on: { type: boolean }
    rpm: { type: number }
  additionalProperties: false
commands:
  set:
    params:
      type: object
      required: [on]
      properties: { on: { type: boolean }, speed: { type: integer } }
serial:
  commands:
    encoding: template
    templates:
      set: "FAN {on} SPEED={params.speed}"
    terminator: "\\r\\n"
`

/** A wired thermostat that takes commands as JSON lines (the default encoding). */
const WIRED_THERMOSTAT = `
version: 1
type: wired-thermostat
topics: ["devices/{device}/thermostat"]
measurement: thermostat
schema: { type: object, properties: { setpoint: { type: number } } }
commands:
  setpoint:
    params: { type: object, properties: { value: { type: number } } }
serial:
  commands: {}
`

function catalogWithWiredTypes(lab: PtyLab): string {
  const dir = lab.path('catalog')
  mkdirSync(dir, { recursive: true })
  copyFileSync('devices/climate-sensor.yaml', join(dir, 'climate-sensor.yaml'))
  writeFileSync(join(dir, 'wired-fan.yaml'), WIRED_FAN)
  writeFileSync(join(dir, 'wired-thermostat.yaml'), WIRED_THERMOSTAT)
  return dir
}

describe('serial actuation', () => {
  it('a command published to devices/<id>/commands/<name> is written to the pty as a JSON line and acked "sent"', async () => {
    const lab = new PtyLab()
    cleanup.push(() => lab.close())
    const { device } = await lab.pair('thermostat')
    const { gateway, mqttUrl } = await startTestGateway({
      catalog: catalogWithWiredTypes(lab),
      serial: [{ port: lab.path('thermostat'), device: { id: 'th-1' }, type: 'wired-thermostat' }],
    })
    cleanup.push(() => gateway.stop())
    const client = await connectClient(mqttUrl)
    cleanup.push(() => client.endAsync())
    const acks = await collect(client, 'devices/th-1/acks')
    await client.publishAsync(
      'devices/th-1/commands/setpoint',
      JSON.stringify({ id: 'c-1', name: 'setpoint', params: { value: 21.5 } }),
      { qos: 1 },
    )
    expect(JSON.parse(await device.nextLine())).toEqual({
      id: 'c-1',
      name: 'setpoint',
      params: { value: 21.5 },
    })
    await acks.next(1, 10_000)
    expect(JSON.parse(acks.messages[0]!.payload.toString())).toEqual({ id: 'c-1', status: 'sent' })
    // An MQTT device's command is not ours: nothing is written, nothing acked for it.
    await client.publishAsync('devices/mqtt-dev/commands/set', '{"id":"c-2"}', { qos: 1 })
    const stats = gateway.context.services.get(SERIAL)!.stats()[0]
    expect(stats).toMatchObject({ commandsWritten: 1, commandsFailed: 0 })
  })

  it('template commands reach a device learned from its frames; a missing value is acked "failed" and nothing is written', async () => {
    const lab = new PtyLab()
    cleanup.push(() => lab.close())
    const { device } = await lab.pair('fans')
    const { gateway, mqttUrl } = await startTestGateway({
      catalog: catalogWithWiredTypes(lab),
      serial: [{ port: lab.path('fans'), codec: { kind: 'kv' }, device: { field: 'id' }, type: 'wired-fan' }],
    })
    cleanup.push(() => gateway.stop())
    const client = await connectClient(mqttUrl)
    cleanup.push(() => client.endAsync())
    const acks = await collect(client, 'devices/+/acks')
    const stats = () => gateway.context.services.get(SERIAL)!.stats()[0]!
    await device.write('id=fan-7 on=false rpm=0\n')
    await until(() => stats().events === 1, 'the fan frame is ingested')

    await client.publishAsync('devices/fan-7/commands/set', '{"id":"f-1","params":{"on":true}}', { qos: 1 })
    await acks.next(1, 10_000)
    expect(JSON.parse(acks.messages[0]!.payload.toString())).toMatchObject({ id: 'f-1', status: 'failed' })
    expect(JSON.parse(acks.messages[0]!.payload.toString()).error).toContain('{params.speed}')

    await client.publishAsync('devices/fan-7/commands/set', '{"id":"f-2","params":{"on":true,"speed":3}}', {
      qos: 1,
    })
    expect(await device.nextLine()).toBe('FAN true SPEED=3')
    await acks.next(2, 10_000)
    expect(acks.messages[1]?.topic).toBe('devices/fan-7/acks')
    expect(JSON.parse(acks.messages[1]!.payload.toString())).toEqual({ id: 'f-2', status: 'sent' })
    expect(device.lines).toEqual(['FAN true SPEED=3'])
    expect(stats()).toMatchObject({ commandsWritten: 1, commandsFailed: 1 })
  })

  it('a command for a device whose port is down is acked "failed" with the reason', async () => {
    const lab = new PtyLab()
    cleanup.push(() => lab.close())
    const { gateway, mqttUrl } = await startTestGateway({
      catalog: catalogWithWiredTypes(lab),
      serial: [{ port: lab.path('unplugged'), device: { id: 'th-9' }, type: 'wired-thermostat' }],
    })
    cleanup.push(() => gateway.stop())
    const client = await connectClient(mqttUrl)
    cleanup.push(() => client.endAsync())
    const acks = await collect(client, 'devices/th-9/acks')
    await client.publishAsync('devices/th-9/commands/setpoint', '{"id":"c-9","params":{"value":1}}', {
      qos: 1,
    })
    await acks.next(1, 10_000)
    expect(JSON.parse(acks.messages[0]!.payload.toString())).toEqual({
      id: 'c-9',
      status: 'failed',
      error: 'serial port is not open',
    })
  })

  it('a rule command reaches the serial fan when the wired sensor overheats', async () => {
    const lab = new PtyLab()
    cleanup.push(() => lab.close())
    const { device: sensor } = await lab.pair('sensor')
    const { device: fan } = await lab.pair('fan')
    const rules = lab.path('rules')
    mkdirSync(rules)
    writeFileSync(
      join(rules, 'wired-overheat.yaml'),
      `version: 1
id: wired-overheat
from: { type: climate-sensor, device: wired-1 }
when: data.temperature > 30.0
actions:
  - command: { device: fan-1, name: set, params: { on: true, speed: 80 } }
`,
    )
    const { gateway, mqttUrl } = await startTestGateway({
      catalog: catalogWithWiredTypes(lab),
      rules,
      serial: [
        {
          port: lab.path('sensor'),
          codec: { kind: 'kv' },
          device: { id: 'wired-1' },
          type: 'climate-sensor',
        },
        { port: lab.path('fan'), codec: { kind: 'kv' }, device: { id: 'fan-1' }, type: 'wired-fan' },
      ],
    })
    cleanup.push(() => gateway.stop())
    const client = await connectClient(mqttUrl)
    cleanup.push(() => client.endAsync())
    const acks = await collect(client, 'devices/fan-1/acks')
    // The fan reports once, so the registry has seen it and knows it is online.
    await fan.write('on=false rpm=0\n')
    const fanStats = () => gateway.context.services.get(SERIAL)!.stats()[1]!
    // Ports are read independently: wait until the fan's report is in before the sensor overheats.
    await until(() => fanStats().events === 1, 'the fan has reported')
    await sensor.write('temperature=24.5\n')
    await sensor.write('temperature=35.5\n')
    expect(await fan.nextLine(8000)).toBe('FAN true SPEED=80')
    await acks.next(1, 10_000)
    expect(JSON.parse(acks.messages[0]!.payload.toString())).toMatchObject({ status: 'sent' })
  })
})
