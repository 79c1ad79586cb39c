import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { capturedLogger } from '../helpers/captured-logger.js'
import { useCleanup } from '../helpers/cleanup.js'
import { queryUntil, startTestGateway } from '../helpers/gateway.js'
import { collect, connectClient } from '../helpers/mqtt.js'

const RULE = `version: 1
id: e2e-hot
from: { type: climate-sensor }
where: "has(data.temperature)"
when: "data.temperature > 30.0"
clear: "data.temperature < 28.0"
severity: critical
actions:
  - alert: { message: "{{device}} at {{data.temperature}} °C" }
  - command: { device: "{{tags.zone}}-fan", name: set, params: { on: true }, onClear: { params: { on: false } }, minInterval: 0 }
`

const cleanup = useCleanup()

async function gatewayWithRules() {
  const dir = mkdtempSync(join(tmpdir(), 'tidegate-e2e-rules-'))
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'hot.yaml'), RULE)
  // The registry's own per-device command interval (1 s by default) would refuse the quick `off`.
  const logs = capturedLogger()
  const g = await startTestGateway(
    { rules: dir, devices: { commands: { minInterval: 0 } } },
    { logger: logs.logger },
  )
  cleanup.push(() => g.gateway.stop())
  const client = async (clientId?: string) => {
    const c = await connectClient(g.mqttUrl, clientId ? { clientId } : {})
    cleanup.push(() => c.endAsync())
    return c
  }
  return { ...g, dir, client, logs }
}

describe('rules end to end (real broker, real InfluxDB)', () => {
  it('a hot reading raises a retained alert, commands the zone fan, and the alerts measurement holds the transitions', async () => {
    const { client, influx } = await gatewayWithRules()
    // The fan (a registered power meter) is online and listens for its commands.
    const fan = await client('north-fan')
    const commands = await collect(fan, 'devices/north-fan/commands/#')
    fan.on('message', (topic, payload) => {
      if (!topic.startsWith('devices/north-fan/commands/')) return
      const { id } = JSON.parse(payload.toString()) as { id: string }
      fan.publish('devices/north-fan/acks', JSON.stringify({ id, status: 'ok' }), { qos: 1 })
    })
    await fan.publishAsync('devices/north-fan/power', '{"power":0,"relay":false}', { qos: 1 })

    const sensor = await client('north-climate-1')
    await sensor.publishAsync('devices/north-climate-1/telemetry', '{"temperature":35.5}', { qos: 1 })
    await commands.next(1)
    expect(commands.messages[0]?.topic).toBe('devices/north-fan/commands/set')
    const cmd = JSON.parse(commands.messages[0]!.payload.toString())
    expect(cmd).toMatchObject({ name: 'set', params: { on: true }, source: 'rule:e2e-hot' })
    expect(typeof cmd.id).toBe('string')

    // A client that subscribes later still sees the current state: the alert is retained.
    const late = await client()
    const alerts = await collect(late, 'alerts/#')
    await alerts.next(1)
    expect(alerts.messages[0]).toMatchObject({ topic: 'alerts/e2e-hot/north-climate-1', retain: true })
    expect(JSON.parse(alerts.messages[0]!.payload.toString())).toMatchObject({
      rule: 'e2e-hot',
      key: 'north-climate-1',
      state: 'firing',
      previous: 'ok',
      severity: 'critical',
      message: 'north-climate-1 at 35.5 °C',
      values: { temperature: 35.5 },
    })

    await sensor.publishAsync('devices/north-climate-1/telemetry', '{"temperature":29}', { qos: 1 }) // hysteresis
    await sensor.publishAsync('devices/north-climate-1/telemetry', '{"temperature":21}', { qos: 1 })
    await alerts.next(2)
    expect(JSON.parse(alerts.messages[1]!.payload.toString())).toMatchObject({
      state: 'resolved',
      previous: 'firing',
    })
    await commands.next(2)
    expect(JSON.parse(commands.messages[1]!.payload.toString())).toMatchObject({ params: { on: false } })

    const { columns, rows } = await queryUntil(
      influx,
      'SELECT * FROM alerts ORDER BY time',
      (r) => r.length === 2,
    )
    const table = rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]])))
    expect(table).toMatchObject([
      {
        rule: 'e2e-hot',
        key: 'north-climate-1',
        severity: 'critical',
        state: 'firing',
        value_temperature: 35.5,
      },
      {
        rule: 'e2e-hot',
        key: 'north-climate-1',
        state: 'resolved',
        previous: 'firing',
        value_temperature: 21,
      },
    ])
  })

  it('a bad edit is published on tidegate/rules/errors with file:line:col and the old rule keeps running', async () => {
    const { client, dir, logs } = await gatewayWithRules()
    const watcher = await client()
    const errors = await collect(watcher, 'tidegate/rules/errors')
    await errors.next(1) // the retained state of the first load: no errors
    expect(JSON.parse(errors.messages[0]!.payload.toString()).errors).toEqual([])

    writeFileSync(join(dir, 'hot.yaml'), RULE.replace('data.temperature > 30.0', 'data.temperature >'))
    await errors.next(2)
    const body = JSON.parse(errors.messages[1]!.payload.toString())
    expect(body.errors[0].text).toBe(
      `${join(dir, 'hot.yaml')}:5:26 TG_RULE_EXPRESSION /when: Unexpected token: EOF`,
    )
    expect(body.keptOld).toEqual([join(dir, 'hot.yaml')])
    expect(body.errors[0]).toMatchObject({ line: 5, code: 'TG_RULE_EXPRESSION', path: '/when' })
    // The reload's log line carries the code as a field, for log searches and alerts.
    expect(logs.lines).toContainEqual(
      expect.objectContaining({
        level: 50,
        file: join(dir, 'hot.yaml'),
        line: 5,
        code: 'TG_RULE_EXPRESSION',
      }),
    )

    const alerts = await collect(watcher, 'alerts/#')
    const sensor = await client('south-climate-1')
    await sensor.publishAsync('devices/south-climate-1/telemetry', '{"temperature":40}', { qos: 1 })
    await alerts.next(1)
    expect(alerts.messages[0]?.topic).toBe('alerts/e2e-hot/south-climate-1')
  })
})
