import { describe, expect, it } from 'vitest'
import { SAMPLE_SPACING_MS } from '../../src/web/state/sample-ring.js'
import { useCleanup } from '../helpers/cleanup.js'
import { queryUntil } from '../helpers/gateway.js'
import { collect, connectClient } from '../helpers/mqtt.js'
import { startWebGateway, waitForEvent } from './web-gateway.js'

const cleanup = useCleanup()
const json = { 'content-type': 'application/json' }
type Body = Record<string, unknown>

async function setup() {
  const g = await startWebGateway()
  cleanup.push(() => g.gateway.stop())
  const device = await connectClient(g.mqttUrl, { clientId: 'sensor-a' })
  cleanup.push(() => device.endAsync())
  const get = async (path: string) => (await (await fetch(`${g.base}/api/${path}`)).json()) as Body
  const post = (path: string, body: unknown) =>
    fetch(`${g.base}/api/${path}`, { method: 'POST', headers: json, body: JSON.stringify(body) })
  return { ...g, device, get, post }
}

describe('status page API and event stream', () => {
  it('a device appears with its last values and the stream pushes each new value within a second', async () => {
    const { base, device, get } = await setup()
    await device.publishAsync(
      'devices/sensor-a/telemetry',
      JSON.stringify({ temperature: 21.5, humidity: 40 }),
      { qos: 1 },
    )
    const pushed = waitForEvent(`${base}/api/events`, {}, (event, data) =>
      event === 'devices'
        ? (data as Body[]).find((d) => d.id === 'sensor-a' && (d.values as Body).temperature === 23)
        : undefined,
    )
    const t0 = Date.now()
    await new Promise((r) => setTimeout(r, 100))
    await device.publishAsync(
      'devices/sensor-a/telemetry',
      JSON.stringify({ temperature: 23, humidity: 41 }),
      { qos: 1 },
    )
    const row = (await pushed) as Body
    expect(Date.now() - t0).toBeLessThan(1500)
    expect(row).toMatchObject({
      type: 'climate-sensor',
      registered: false,
      values: { temperature: 23, humidity: 41 },
    })
    const list = (await get('devices?q=sensor-a')).devices as Body[]
    expect(list.map((d) => d.id)).toEqual(['sensor-a'])
    // Registered devices are listed before they are heard.
    expect(((await get('devices')).devices as Body[]).some((d) => d.id === 'north-fan' && d.registered)).toBe(
      true,
    )
    // The device chart: the last hour from InfluxDB (reachable here).
    await expect
      .poll(async () => {
        const h = await get('devices/sensor-a/history')
        return `${h.source} ${(h.samples as { v: Body }[]).map((s) => s.v.temperature).join(',')}`
      })
      .toBe('influxdb 21.5,23')
  }, 20_000)

  it('without InfluxDB the device chart reads the in-memory ring of recent values', async () => {
    const g = await startWebGateway({}, undefined, { url: 'http://127.0.0.1:9' })
    cleanup.push(() => g.gateway.stop())
    const device = await connectClient(g.mqttUrl, { clientId: 'sensor-b' })
    cleanup.push(() => device.endAsync())
    // A slot apart in device time: the ring keeps one slot per SAMPLE_SPACING_MS (sample-ring.ts).
    const t0 = Date.now() - 3 * SAMPLE_SPACING_MS
    for (const [i, temperature] of [20, 21, 22].entries())
      await device.publishAsync(
        'devices/sensor-b/telemetry',
        JSON.stringify({ temperature, ts: t0 + i * SAMPLE_SPACING_MS }),
        { qos: 1 },
      )
    await expect
      .poll(async () => {
        const h = (await (await fetch(`${g.base}/api/devices/sensor-b/history`)).json()) as Body
        return `${h.source} ${(h.samples as { v: Body }[]).map((s) => s.v.temperature).join(',')}`
      })
      .toBe('memory 20,21,22')
    // The type's time field (`ts` for climate-sensor) is in the readings but not charted: only measurements.
    const h = (await (await fetch(`${g.base}/api/devices/sensor-b/history`)).json()) as Body
    expect((h.samples as { v: Body }[]).map((s) => Object.keys(s.v))).toEqual([
      ['temperature'],
      ['temperature'],
      ['temperature'],
    ])
    // /metrics says what that history holds: 8 slots so far, 8 bytes of time and 4 of temperature each.
    const metrics = await (await fetch(`${g.base}/metrics`)).text()
    expect(metrics).toMatch(/^tidegate_status_devices 1$/m)
    expect(metrics).toMatch(/^tidegate_status_chart_bytes 96$/m)
  }, 20_000)

  it('an operator command goes through the dispatcher to devices/<id>/commands/<name>; bad params are refused with the reason', async () => {
    const { mqttUrl, post, get } = await setup()
    // A power meter that is online (it published) and listens for its commands.
    const meter = await connectClient(mqttUrl, { clientId: 'north-fan' })
    cleanup.push(() => meter.endAsync())
    const commands = await collect(meter, 'devices/north-fan/commands/#')
    await meter.publishAsync('devices/north-fan/power', JSON.stringify({ power: 12, relay: false }), {
      qos: 1,
    })
    await new Promise((r) => setTimeout(r, 200))
    const refused = await post('commands', { device: 'north-fan', name: 'set', params: { on: 'yes' } })
    expect(refused.status).toBe(422)
    expect(((await refused.json()) as Body).reason).toContain('invalid params')
    const res = await post('commands', { device: 'north-fan', name: 'set', params: { on: true } })
    expect(res.status).toBe(202)
    const { id } = (await res.json()) as { id: string }
    await commands.next(1)
    const msg = JSON.parse(commands.messages[0]?.payload.toString() ?? '{}') as Body
    expect(commands.messages[0]?.topic).toBe('devices/north-fan/commands/set')
    expect(msg).toMatchObject({ id, params: { on: true }, source: 'web:anonymous' })
    await meter.publishAsync('devices/north-fan/acks', JSON.stringify({ id, status: 'ok' }), { qos: 1 })
    await expect
      .poll(async () => ((await get('commands')).recent as Body[]).find((c) => c.id === id)?.status)
      .toBe('acked')
  }, 20_000)

  it('a firing alert is listed, acknowledged once, published retained with the acknowledgement and written to InfluxDB', async () => {
    const { mqttUrl, device, post, get, influx } = await setup()
    await device.publishAsync('devices/sensor-a/telemetry', JSON.stringify({ temperature: 35 }), { qos: 1 })
    await expect.poll(async () => ((await get('alerts')).now as Body[])[0]?.state).toBe('firing')
    const ack = await post('alerts/ack', { rule: 'too-hot', key: 'sensor-a' })
    expect(ack.status).toBe(200)
    expect((await post('alerts/ack', { rule: 'too-hot', key: 'sensor-a' })).status).toBe(409)
    await expect
      .poll(async () => ((await get('alerts')).now as Body[])[0]?.acknowledged)
      .toMatchObject({ by: 'anonymous' })
    // A new subscriber gets the retained alert, acknowledgement included.
    const watcher = await connectClient(mqttUrl)
    cleanup.push(() => watcher.endAsync())
    const retained = await collect(watcher, 'alerts/too-hot/sensor-a')
    await retained.next(1)
    expect(JSON.parse(retained.messages[0]?.payload.toString() ?? '{}')).toMatchObject({
      state: 'firing',
      acknowledged: { by: 'anonymous' },
    })
    // Repeats (every 1 s) stop while acknowledged.
    const repeatsBefore = ((await get('alerts')).recent as Body[]).filter((t) => Number(t.repeat) > 0).length
    await new Promise((r) => setTimeout(r, 1600))
    expect(((await get('alerts')).recent as Body[]).filter((t) => Number(t.repeat) > 0).length).toBe(
      repeatsBefore,
    )
    const { rows } = await queryUntil(
      influx,
      `SELECT acknowledged_by FROM alerts WHERE acknowledged_by = 'anonymous'`,
      (r) => r.length > 0,
    )
    expect(rows.length).toBe(1)
  }, 20_000)

  it('dead letters, rules and the overview', async () => {
    const { device, get } = await setup()
    await device.publishAsync('devices/sensor-a/telemetry', '{"temperature": "hot"}', { qos: 1 })
    await expect
      .poll(async () => ((await get('deadletters')).deadLetters as Body[])[0]?.reason)
      .toBe('schema')
    const dl = ((await get('deadletters')).deadLetters as Body[])[0] as Body
    expect(dl).toMatchObject({ topic: 'devices/sensor-a/telemetry', preview: '{"temperature": "hot"}' })
    expect((dl.errors as string[]).join(' ')).toContain('temperature')
    const rules = await get('rules')
    expect(rules.rules).toEqual([
      expect.objectContaining({
        id: 'too-hot',
        kind: 'standard',
        file: expect.stringContaining('too-hot.yaml'),
      }),
    ])
    const overview = await get('overview')
    expect(overview).toMatchObject({
      influx: { reachable: expect.any(Boolean) },
      rules: { loaded: 1, errors: 0 },
      broker: { connections: 1 },
      influxShape: { state: expect.stringMatching(/^(pending|applied)$/), overLimit: false },
    })
  }, 20_000)
})
