import { describe, expect, it } from 'vitest'
import { lengthPrefixEncode, slipEncode } from '../../../simulator/serial/frames.js'
import { nmeaSentence } from '../../../src/ingest/serial/codecs/nmea.js'
import { SERIAL } from '../../../src/ingest/serial/extension.js'
import { useCleanup } from '../../helpers/cleanup.js'
import { queryUntil, startTestGateway } from '../../helpers/gateway.js'
import { PtyLab, rowObjects } from './helpers.js'

const cleanup = useCleanup()

/** One port per codec/framing pair; each device id names its pair so the rows tell them apart. */
const PORTS = [
  { id: 'json-line', framing: { kind: 'line' }, codec: { kind: 'json' } },
  {
    id: 'csv-line',
    framing: { kind: 'line', delimiter: '\r\n' },
    codec: { kind: 'csv', columns: ['temperature', 'humidity', 'zone'] },
  },
  { id: 'kv-slip', framing: { kind: 'slip' }, codec: { kind: 'kv' } },
  {
    id: 'regex-timeout',
    framing: { kind: 'timeout', interval: '100ms' },
    codec: { kind: 'regex', pattern: '^T=(?<temperature>-?[\\d.]+)C H=(?<humidity>[\\d.]+)%$' },
  },
  { id: 'nmea-line', framing: { kind: 'line' }, codec: { kind: 'nmea' } },
  { id: 'json-length', framing: { kind: 'length' }, codec: { kind: 'json' } },
  {
    id: 'csv-fixed',
    framing: { kind: 'fixed', length: 10 },
    codec: { kind: 'csv', columns: ['temperature', 'humidity'] },
  },
]

/** What each device sends: the bytes on the wire for temperature t, humidity h. */
const WIRE: Record<string, (t: number, h: number) => Buffer> = {
  'json-line': (t, h) => Buffer.from(`${JSON.stringify({ temperature: t, humidity: h })}\n`),
  'csv-line': (t, h) => Buffer.from(`${t},${h},north\r\n`),
  'kv-slip': (t, h) => slipEncode(Buffer.from(`temperature=${t} humidity=${h}`)),
  'regex-timeout': (t, h) => Buffer.from(`T=${t}C H=${h}%`),
  'nmea-line': (t, h) => Buffer.from(`${nmeaSentence(`WIXDR,C,${t},C,temperature,H,${h},P,humidity`)}\r\n`),
  'json-length': (t, h) => lengthPrefixEncode(Buffer.from(JSON.stringify({ temperature: t, humidity: h }))),
  'csv-fixed': (t, h) => Buffer.from(`${t.toFixed(2)},${h.toFixed(1)}`.padEnd(10, ' ')),
}

describe('serial ingestion end to end (socat ptys → gateway → InfluxDB)', () => {
  it('every codec and framing lands in InfluxDB with the device tag', async () => {
    const lab = new PtyLab()
    cleanup.push(() => lab.close())
    const devices = new Map<string, Awaited<ReturnType<PtyLab['pair']>>['device']>()
    for (const p of PORTS) devices.set(p.id, (await lab.pair(p.id)).device)
    const { gateway, influx } = await startTestGateway({
      serial: PORTS.map((p) => ({
        port: lab.path(p.id),
        framing: p.framing,
        codec: p.codec,
        device: { id: p.id },
        type: 'climate-sensor',
      })),
    })
    cleanup.push(() => gateway.stop())

    // Each reading written in two pieces (frames are reassembled across reads), readings apart in time
    // (distinct receive times keep both InfluxDB points). The timeout framing cuts on silence, so its
    // burst goes in one write: on a loaded machine a pause between pieces could end the frame early.
    for (const [t, h] of [
      [21.5, 40],
      [22.25, 41.5],
    ] as const) {
      for (const [id, end] of devices) {
        const wire = WIRE[id]!(t, h)
        const cut = id === 'regex-timeout' ? wire.length : Math.floor(wire.length / 2)
        await end.write(wire.subarray(0, cut))
        if (cut < wire.length) await end.write(wire.subarray(cut))
      }
      await new Promise((r) => setTimeout(r, 300))
    }

    const { columns, rows } = await queryUntil(
      influx,
      'SELECT temperature, humidity, device, zone FROM climate',
      (r) => r.length >= PORTS.length * 2,
      10_000,
    )
    const byDevice = new Map<string, Record<string, unknown>[]>()
    for (const row of rowObjects(columns, rows)) {
      const list = byDevice.get(row.device as string) ?? []
      list.push(row)
      byDevice.set(row.device as string, list)
    }
    for (const p of PORTS) {
      const got = (byDevice.get(p.id) ?? []).map((r) => [r.temperature, r.humidity])
      expect(got, p.id).toEqual([
        [21.5, 40],
        [22.25, 41.5],
      ])
    }
    expect(byDevice.get('csv-line')?.[0]?.zone).toBe('north')
    const stats = gateway.context.services.get(SERIAL)!.stats()
    const json = stats.find((s) => s.port === lab.path('json-line'))
    expect(json).toMatchObject({ frames: 2, events: 2 })
    expect(json?.bytes).toBeGreaterThan(40)
    expect(json?.lastFrameAt).toBeTypeOf('number')
  })
})
