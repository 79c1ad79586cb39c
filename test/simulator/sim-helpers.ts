import { loadScenarioText } from '../../simulator/src/scenario.js'
import { Simulator } from '../../simulator/src/simulator.js'

/**
 * Two climate sensors and a fan in one zone, publishing only when a test asks (interval 1h, events off),
 * so every message in a test is one the test caused.
 */
export const QUIET_SCENARIO = `
version: 1
name: quiet
seed: 5
zones: [{ id: z, timeConstant: 1s }]
devices:
  - id: "t-climate-{n}"
    type: climate-sensor
    topic: devices/{id}/telemetry
    count: 2
    interval: 1h
    tags: { zone: z }
    fields:
      temperature: { kind: daily, base: 20, noise: 0.1, zone: temperature }
      humidity: { kind: daily, base: 50 }
  - id: t-fan
    type: power-meter
    topic: devices/{id}/power
    zone: z
    interval: 1h
    tags: { circuit: fan }
    actuator: { affects: temperature, effect: -20 }
    fields:
      power: { kind: load, base: 1, noise: 0, actuator: 100 }
      relay: { kind: relay }
`

export async function startQuietSimulator(url: string, now?: () => number): Promise<Simulator> {
  const sim = new Simulator({
    url,
    scenario: loadScenarioText(QUIET_SCENARIO, 'quiet.yaml'),
    events: false,
    now,
  })
  await sim.start()
  return sim
}

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false,
  timeoutMs = 5000,
): Promise<T> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const v = probe()
    if (v !== undefined && v !== false) return v
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}
