import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useCleanup } from '../helpers/cleanup.js'
import { queryUntil, startTestGateway } from '../helpers/gateway.js'
import { collect, connectClient } from '../helpers/mqtt.js'
import { startQuietSimulator, waitFor } from './sim-helpers.js'

const cleanup = useCleanup()

/** Per event, no window: hot reading → alert + fan on; cool reading → resolved + fan off. */
const RULE = `
version: 1
id: t-overheat
from: { type: climate-sensor }
where: "has(data.temperature)"
when: "data.temperature > 30.0"
clear: "data.temperature < 25.0"
actions:
  - alert: { message: "{{device}} at {{data.temperature}}" }
  - command: { device: t-fan, name: set, params: { on: true }, onClear: { params: { on: false } }, minInterval: 0 }
`

describe('closed loop through the gateway', () => {
  it('a rule commands the simulated fan, the fan acks, and the zone cools until the alert resolves', async () => {
    const rules = mkdtempSync(join(tmpdir(), 'tidegate-sim-rules-'))
    writeFileSync(join(rules, 't-overheat.yaml'), RULE)
    // No per-device command spacing: the off command follows the on command within the same second.
    const { gateway, mqttUrl, influx } = await startTestGateway({
      rules,
      devices: { commands: { minInterval: 0 } },
    })
    cleanup.push(() => gateway.stop())
    const watcher = await connectClient(mqttUrl)
    cleanup.push(() => watcher.endAsync())
    const acks = await collect(watcher, 'devices/t-fan/acks')
    // The simulator's clock is ours: the zone physics advance exactly as far as the test says.
    let now = Date.now()
    const sim = await startQuietSimulator(mqttUrl, () => now)
    cleanup.push(() => sim.stop())
    sim.publishNow('t-fan') // the gateway learns the fan (type power-meter, online)

    sim.setLoad('z', 20)
    now += 10_000 // ten time constants: the zone is fully heated
    const hot = sim.publishNow('t-climate-1')
    expect(hot['temperature']).toBeGreaterThan(38)
    await waitFor('fan on', () => sim.device('t-fan').actuatorOn)
    await acks.next(1)
    expect(JSON.parse(acks.messages[0]?.payload.toString() ?? '{}')).toMatchObject({ status: 'ok' })
    expect(sim.commands[0]).toMatchObject({ device: 't-fan', name: 'set' })

    now += 10_000 // the fan (-20 °C) has cancelled the heat load
    const cooled = sim.publishNow('t-climate-1')
    expect(cooled['temperature']).toBeLessThan(22)
    await waitFor('fan off', () => !sim.device('t-fan').actuatorOn)
    await acks.next(2)
    expect(sim.stats).toMatchObject({ commands: 2, acks: 2 })

    // The gateway recorded both commands as acknowledged.
    const { rows } = await queryUntil(
      influx,
      `SELECT "params" FROM commands WHERE "status" = 'acked' AND "device" = 't-fan'`,
      (r) => r.length === 2,
    )
    expect(rows.map((r) => r[1])).toEqual(['{"on":true}', '{"on":false}'])
  })
})
