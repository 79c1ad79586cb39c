import { describe, expect, it } from 'vitest'
import { startPtyPair } from '../../../simulator/serial/pty-pair.js'
import { SerialDeviceEnd } from '../../../simulator/serial/serial-device.js'
import type { DeadLetter } from '../../../src/core/dead-letter.js'
import { nmeaSentence } from '../../../src/ingest/serial/codecs/nmea.js'
import { SERIAL } from '../../../src/ingest/serial/extension.js'
import type { SerialPortStats } from '../../../src/ingest/serial/port-stats.js'
import { useCleanup } from '../../helpers/cleanup.js'
import { queryUntil, startTestGateway } from '../../helpers/gateway.js'
import { PtyLab, until } from './helpers.js'

const cleanup = useCleanup()

const FAST_RECONNECT = { initial: '50ms', max: '200ms' }

function serialStats(
  gateway: Awaited<ReturnType<typeof startTestGateway>>['gateway'],
  port: string,
): SerialPortStats {
  const all = gateway.context.services.get(SERIAL)!.stats()
  const found = all.find((s) => s.port === port)
  if (!found) throw new Error(`no stats for ${port}`)
  return found
}

describe('serial robustness', () => {
  it('garbage, over-long lines, bad checksums and invalid readings become counted dead letters; good frames still flow', async () => {
    const lab = new PtyLab()
    cleanup.push(() => lab.close())
    const { device: jsonEnd } = await lab.pair('json')
    const { device: nmeaEnd } = await lab.pair('nmea')
    const { gateway, influx } = await startTestGateway({
      serial: [
        {
          port: lab.path('json'),
          framing: { kind: 'line', maxLength: 64 },
          codec: { kind: 'json' },
          device: { field: 'id' },
          type: 'climate-sensor',
        },
        { port: lab.path('nmea'), codec: { kind: 'nmea' }, device: { id: 'gps-1' }, type: 'climate-sensor' },
      ],
    })
    cleanup.push(() => gateway.stop())
    const dead: DeadLetter[] = []
    gateway.deadLetters.onRecord((d) => dead.push(d))

    await jsonEnd.write('{"id":"a1","temperature":20}\n')
    await jsonEnd.write(Buffer.from([0xff, 0x00, 0x9c, 0x0a])) // binary garbage line
    await jsonEnd.write(`{"id":"a1","temperature":${'1'.repeat(200)}`) // over-long, no terminator yet ...
    await jsonEnd.write(`${'2'.repeat(100)}}\n`) // ... its tail is discarded with it
    await jsonEnd.write('{"temperature":5}\n') // no device field
    await jsonEnd.write('{"id":"a1","temperature":"hot"}\n') // fails the type schema
    await jsonEnd.write('{"id":"a1","temp') // a partial frame ...
    await jsonEnd.write('erature":21}\n') // ... completed by the next read
    await nmeaEnd.write(`${nmeaSentence('WIXDR,C,19.5,C,temperature').replace(/\*..$/, '*00')}\r\n`)
    await nmeaEnd.write(`${nmeaSentence('WIXDR,C,19.5,C,temperature')}\r\n`)

    await until(() => dead.length >= 5, `5 dead letters, got ${dead.length}`)
    const { rows } = await queryUntil(
      influx,
      'SELECT temperature, device FROM climate',
      (r) => r.length >= 3,
      10_000,
    )
    expect(rows.map((r) => [r[1], r[2]]).sort()).toEqual([
      [19.5, 'gps-1'],
      [20, 'a1'],
      [21, 'a1'],
    ])
    const summary = dead.map((d) => [d.reason, d.errors[0]?.split(':')[0]])
    expect(summary).toEqual(
      expect.arrayContaining([
        ['frame', 'decode'],
        ['frame', 'oversize'],
        ['frame', 'device_id'],
        ['schema', '/temperature must be number'],
        ['frame', 'checksum'],
      ]),
    )
    expect(dead).toHaveLength(5)
    const garbage = dead.find((d) => d.errors[0]?.startsWith('decode'))
    expect(garbage).toMatchObject({ topic: `serial:${lab.path('json')}`, encoding: 'base64' })
    expect(dead.find((d) => d.reason === 'schema')?.device).toBe('a1')
    // The over-long line's dead letter carries at most maxLength bytes.
    expect(dead.find((d) => d.errors[0]?.startsWith('oversize'))?.payload.length).toBeLessThanOrEqual(64)

    const s = serialStats(gateway, lab.path('json'))
    expect(s.errors).toEqual({ decode: 1, oversize: 1, device_id: 1, schema: 1 })
    expect(s.events).toBe(2)
    expect(serialStats(gateway, lab.path('nmea')).errors).toEqual({ checksum: 1 })
  })

  it('a pty removed and recreated while the gateway runs: it reconnects, counts the gap, data flows again; the other port never stops', async () => {
    const lab = new PtyLab()
    cleanup.push(() => lab.close())
    const { device: steady } = await lab.pair('steady')
    const flakyPath = lab.path('flaky')
    let flaky = await startPtyPair(flakyPath)
    let flakyEnd = await SerialDeviceEnd.open(flaky.devicePath)
    cleanup.push(async () => {
      await flakyEnd.close()
      await flaky.stop()
    })
    const { gateway, influx } = await startTestGateway({
      serial: [
        { port: lab.path('steady'), codec: { kind: 'kv' }, device: { id: 'steady' }, type: 'climate-sensor' },
        {
          port: flakyPath,
          codec: { kind: 'kv' },
          device: { id: 'flaky' },
          type: 'climate-sensor',
          reconnect: FAST_RECONNECT,
        },
      ],
    })
    cleanup.push(() => gateway.stop())
    await flakyEnd.write('temperature=1\n')
    await until(() => serialStats(gateway, flakyPath).events === 1, 'first frame')

    // Unplug: socat exits and its links disappear.
    await flakyEnd.close()
    await flaky.stop()
    await until(() => serialStats(gateway, flakyPath).disconnects === 1, 'the loss is noticed')
    expect(serialStats(gateway, flakyPath).open).toBe(false)
    // While it is gone, the other port keeps ingesting.
    await steady.write('temperature=5\n')
    await until(() => serialStats(gateway, lab.path('steady')).events === 1, 'the steady port still ingests')
    // Reopen attempts fail while the pty is gone (and keep the gap open for a measurable time).
    await until(() => serialStats(gateway, flakyPath).openFailures >= 2, 'failed reopen attempts')

    // Replug: a new pty pair under the same link.
    flaky = await startPtyPair(flakyPath)
    flakyEnd = await SerialDeviceEnd.open(flaky.devicePath)
    await until(() => serialStats(gateway, flakyPath).open, 'reopened', 5000)
    await flakyEnd.write('temperature=2\n')
    const { rows } = await queryUntil(
      influx,
      "SELECT temperature FROM climate WHERE device = 'flaky'",
      (r) => r.length >= 2,
      10_000,
    )
    expect(rows.map((r) => r[1])).toEqual([1, 2])
    const s = serialStats(gateway, flakyPath)
    expect(s).toMatchObject({ reconnects: 1, disconnects: 1, open: true, events: 2 })
    expect(s.downtimeMs).toBeGreaterThanOrEqual(50)
    // The same numbers on /metrics, labelled by port.
    const { host, port } = gateway.http.address
    const metrics = await (await fetch(`http://${host}:${port}/metrics`)).text()
    expect(metrics).toContain(`tidegate_serial_reconnects_total{port="${flakyPath}"} 1`)
    expect(metrics).toContain(`tidegate_serial_port_open{port="${flakyPath}"} 1`)
    expect(metrics).toContain(`tidegate_serial_events_total{port="${flakyPath}"} 2`)
  })

  it('a port missing at start does not stop the gateway; it is picked up when it appears', async () => {
    const lab = new PtyLab()
    cleanup.push(() => lab.close())
    const { gateway, influx } = await startTestGateway({
      serial: [
        {
          port: lab.path('later'),
          codec: { kind: 'json' },
          device: { id: 'late-1' },
          type: 'climate-sensor',
          reconnect: FAST_RECONNECT,
        },
      ],
    })
    cleanup.push(() => gateway.stop())
    // Started without it, counting the failed open (a loaded machine may already have retried: 50 ms).
    const atStart = serialStats(gateway, lab.path('later'))
    expect(atStart.open).toBe(false)
    expect(atStart.openFailures).toBeGreaterThanOrEqual(1)
    const { device } = await lab.pair('later')
    await until(() => serialStats(gateway, lab.path('later')).open, 'opened once it exists')
    await device.write('{"temperature":7}\n')
    const { rows } = await queryUntil(
      influx,
      'SELECT temperature FROM climate',
      (r) => r.length === 1,
      10_000,
    )
    expect(rows[0]?.[1]).toBe(7)
    // Appearing late is not a reconnect: the port had never been open.
    expect(serialStats(gateway, lab.path('later')).reconnects).toBe(0)
  })
})
