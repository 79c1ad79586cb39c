import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { playSerialDevice } from '../../../simulator/serial/serial-device.js'
import { startWiredSensor } from '../../../simulator/serial/wired-sensor.js'
import { loadConfig } from '../../../src/config/load.js'
import { SERIAL } from '../../../src/ingest/serial/extension.js'
import { useCleanup } from '../../helpers/cleanup.js'
import { queryUntil, startTestGateway } from '../../helpers/gateway.js'
import { connectClient } from '../../helpers/mqtt.js'
import { PtyLab, until } from './helpers.js'

const cleanup = useCleanup()

describe('serial device simulator', () => {
  it('plays a wired sensor on a pty next to an MQTT one; commands the gateway writes come back to it', async () => {
    const lab = new PtyLab()
    cleanup.push(() => lab.close())
    const catalog = lab.path('catalog')
    mkdirSync(catalog)
    copyFileSync('devices/climate-sensor.yaml', join(catalog, 'climate-sensor.yaml'))
    // The shipped climate type plus a template command encoding, so the simulated sensor can be commanded.
    writeFileSync(
      join(catalog, 'climate-sensor.yaml'),
      `${'\n'}serial:\n  commands: { encoding: template, templates: { calibrate: "CAL {offset}" } }\n`,
      { flag: 'a' },
    )
    let n = 0
    const commands: string[] = []
    const device = await playSerialDevice({
      gatewayPath: lab.path('bench-1'),
      format: { codec: 'csv', columns: ['id', 'temperature', 'humidity'] },
      intervalMs: 20,
      sample: () => ({ id: 'bench-1', temperature: 20 + n++, humidity: 50 }),
      onCommand: (line) => commands.push(line),
    })
    cleanup.push(() => device.stop())
    const { gateway, mqttUrl, influx } = await startTestGateway({
      catalog,
      serial: [
        {
          port: device.gatewayPath,
          codec: { kind: 'csv', columns: ['id', 'temperature', 'humidity'] },
          device: { field: 'id' },
          type: 'climate-sensor',
        },
      ],
    })
    cleanup.push(() => gateway.stop())
    const client = await connectClient(mqttUrl)
    cleanup.push(() => client.endAsync())
    await client.publishAsync('devices/mqtt-1/telemetry', '{"temperature":18}', { qos: 1 })

    const { rows } = await queryUntil(
      influx,
      'SELECT temperature, device FROM climate',
      (r) => r.some((x) => x[2] === 'mqtt-1') && r.filter((x) => x[2] === 'bench-1').length > 3,
      10_000,
    )
    const devices = new Set(rows.map((r) => r[2]))
    expect(devices).toEqual(new Set(['bench-1', 'mqtt-1']))
    expect(rows.filter((r) => r[2] === 'bench-1').length).toBeGreaterThan(3)

    await client.publishAsync('devices/bench-1/commands/calibrate', '{"id":"k1","params":{"offset":-0.5}}', {
      qos: 1,
    })
    await until(() => commands.length === 1, 'the simulated sensor receives the command')
    expect(commands).toEqual(['CAL -0.5'])
    expect(gateway.context.services.get(SERIAL)!.stats()[0]?.errors).toEqual({})
  })
  it('the demo wired sensor hands a gateway child process its serial entry as TIDEGATE_SERIAL', async () => {
    const lab = new PtyLab()
    cleanup.push(() => lab.close())
    const sensor = await startWiredSensor({ intervalMs: 20, temperature: () => 31.5 })
    cleanup.push(() => sensor.stop())
    const file = lab.path('gateway.yaml')
    writeFileSync(file, `catalog: ${process.cwd()}/devices\n`)
    // The env override is how the demo passes it on: the same config the gateway process would load.
    const { config } = loadConfig(file, sensor.env)
    const { gateway, influx } = await startTestGateway({ serial: config.serial })
    cleanup.push(() => gateway.stop())
    const { rows } = await queryUntil(
      influx,
      "SELECT temperature, zone FROM climate WHERE device = 'wired-1'",
      (r) => r.length >= 2,
      10_000,
    )
    expect(rows[0]?.slice(1)).toEqual([31.5, 'north'])
  })
})
