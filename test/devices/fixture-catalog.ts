import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * A catalog folder for registry and command tests: a sensor with a short silence timeout, a switch
 * with a short command timeout, and a registry. Short times keep the real-broker tests fast.
 */
export function fixtureCatalog(registry?: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tidegate-registry-'))
  writeFileSync(
    join(dir, 'sensor.yaml'),
    `version: 1
type: test-sensor
topics: ["devices/{device}/telemetry"]
measurement: climate
tags: [zone]
offlineAfter: 400ms
schema:
  type: object
  required: [temperature]
  properties:
    ts: { type: integer }
    seq: { type: integer }
    zone: { type: string }
    temperature: { type: number }
`,
  )
  writeFileSync(
    join(dir, 'switch.yaml'),
    `version: 1
type: test-switch
topics: ["devices/{device}/state"]
measurement: switch
schema:
  type: object
  properties:
    on: { type: boolean }
commands:
  set:
    params:
      type: object
      required: [on]
      properties: { on: { type: boolean } }
      additionalProperties: false
    timeout: 300ms
    retries: 1
`,
  )
  writeFileSync(
    join(dir, 'registry.yaml'),
    registry ??
      `version: 1
devices:
  - { id: s1, type: test-sensor, tags: { site: lab, room: r1 } }
  - { id: s2, type: test-sensor, tags: { site: lab, room: r2 } }
  - { id: sw1, type: test-switch, tags: { site: lab, room: r1 } }
  - { id: sw2, type: test-switch, tags: { site: lab, room: r2 } }
`,
  )
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}
