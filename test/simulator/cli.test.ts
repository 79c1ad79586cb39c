import { execFile } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { useCleanup } from '../helpers/cleanup.js'
import { queryUntil, startTestGateway } from '../helpers/gateway.js'

const exec = promisify(execFile)
const sim = (args: string[]) =>
  exec(process.execPath, ['--import', 'tsx', 'simulator/src/main.ts', ...args], { timeout: 20_000 })

const cleanup = useCleanup()

describe('tidegate-sim CLI', () => {
  it('refuses a bad scenario with file:line:col and exit code 1', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tidegate-sim-cli-')), 'bad.yaml')
    writeFileSync(file, 'version: 1\nname: bad\ndevices:\n  - id: a\n    type: t\n    count: -1\n')
    const err = await sim(['--scenario', file]).catch((e: { code: number; stderr: string }) => e)
    expect(err).toMatchObject({ code: 1 })
    expect((err as { stderr: string }).stderr).toContain(
      `${file}:6:12 TG_SCENARIO_INVALID /devices/0/count: must be >= 0`,
    )
  })

  it('runs a scenario at a given total rate and prints the summary', async () => {
    const { gateway, mqttUrl, influx } = await startTestGateway()
    cleanup.push(() => gateway.stop())
    const { stdout } = await sim([
      '--url',
      mqttUrl,
      '--scenario',
      'simulator/scenarios/load.yaml',
      '--devices',
      '20',
      '--rate',
      '100',
      '--duration',
      '2',
      '--seed',
      '3',
      '--quiet',
    ])
    const sent = Number(/^sent (\d+)/m.exec(stdout)?.[1])
    expect(stdout).toMatch(/acked 0, failed 0, commands received 0, acks sent 0/)
    // 100 msg/s for 2 s, give or take a tick at either end.
    expect(sent).toBeGreaterThanOrEqual(180)
    expect(sent).toBeLessThanOrEqual(210)
    const { rows } = await queryUntil(
      influx,
      'SELECT count(temperature) FROM climate',
      (r) => Number(r[0]?.[1]) >= sent * 0.75,
    )
    // 4 of 5 devices are climate sensors in load.yaml (the rest are power meters), sharing the rate evenly.
    expect(Number(rows[0]?.[1])).toBeGreaterThanOrEqual(sent * 0.75)
  })
})
