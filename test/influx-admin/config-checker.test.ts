import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config/load.js'
import { FileErrors, formatFileError } from '../../src/core/file-errors.js'
import { shapeConfigChecker } from '../../src/influx-admin/config-checker.js'
import { runCli } from '../helpers/cli.js'

const repo = process.cwd()
const dir = mkdtempSync(join(tmpdir(), 'tidegate-shape-check-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function write(name: string, influxYaml: string): string {
  const path = join(dir, name)
  writeFileSync(path, `catalog: ${join(repo, 'devices')}\ninflux:\n${influxYaml}`)
  return path
}

/** What `tidegate check` reports for the file: schema errors first, else the shape checker's. */
function check(file: string): string[] {
  try {
    const { config } = loadConfig(file, {})
    return shapeConfigChecker(config, dir, file).map(formatFileError)
  } catch (err) {
    if (err instanceof FileErrors) return err.errors.map(formatFileError)
    throw err
  }
}

describe('tidegate check: influx.retention / downsample / maxSeries', () => {
  it('the issue example is valid', () => {
    const file = write(
      'ok.yaml',
      `  retention: 30d
  downsample:
    - { measurement: climate, every: 5m, keep: 365d, fields: { temperature: mean, humidity: mean } }
    - { measurement: power, every: 15m, keep: 3y, fields: { power: mean, energy: last } }
  maxSeries: 100000
`,
    )
    expect(check(file)).toEqual([])
  })

  it('bad durations, aggregate names and maxSeries are schema errors with file:line:col', () => {
    const file = write(
      'schema.yaml',
      `  retention: 30 days
  downsample:
    - { measurement: climate, every: 1.5m, keep: 3x, fields: { temperature: average } }
  maxSeries: 0
`,
    )
    const errors = check(file)
    expect(errors).toContain(
      `${file}:3:14 TG_CONFIG_INVALID /influx/retention: invalid value "30 days": a whole number of hours, days, weeks or years: 12h, 30d, 52w, 3y`,
    )
    expect(errors).toContain(
      `${file}:5:38 TG_CONFIG_INVALID /influx/downsample/0/every: invalid value "1.5m": a whole number of seconds, minutes, hours, days or weeks: 30s, 5m, 1h`,
    )
    expect(
      errors.some((e) =>
        e.startsWith(`${file}:5:50 TG_CONFIG_INVALID /influx/downsample/0/keep: invalid value "3x"`),
      ),
    ).toBe(true)
    expect(
      errors.some((e) =>
        /:5:\d+ TG_CONFIG_INVALID \/influx\/downsample\/0\/fields\/temperature: must be one of "mean", /.test(
          e,
        ),
      ),
    ).toBe(true)
    expect(errors.some((e) => e.startsWith(`${file}:6:14 TG_CONFIG_INVALID /influx/maxSeries:`))).toBe(true)
  })

  it('unknown fields, tags, duplicates, keep shorter than every, a clash with retentionPolicy: located errors', () => {
    const file = write(
      'shape.yaml',
      `  retention: 30d
  retentionPolicy: mine
  downsample:
    - measurement: climate
      every: 5m
      keep: 365d
      fields: { temperature: mean, humidty: mean, zone: last, time: max }
    - { measurement: climate, every: 1h, keep: 365d, fields: { temperature: max } }
    - { measurement: power, every: 2d, keep: 1d, fields: { power: mean } }
    - { measurement: from_a_rule, every: 1h, keep: 30d, fields: { anything: mean } }
`,
    )
    expect(check(file)).toEqual([
      `${file}:3:14 TG_CONFIG_CONFLICT /influx/retention: influx.retention manages the default policy tidegate_raw, but influx.retentionPolicy writes to "mine": remove one of them`,
      `${file}:9:45 TG_CONFIG_UNKNOWN_NAME /influx/downsample/0/fields/humidty: unknown field "humidty" of measurement climate (fields: battery, co2, humidity, temperature)`,
      `${file}:9:57 TG_CONFIG_UNKNOWN_NAME /influx/downsample/0/fields/zone: "zone" is a tag of climate, not a field: GROUP BY * keeps tags as they are`,
      `${file}:9:69 TG_CONFIG_UNKNOWN_NAME /influx/downsample/0/fields/time: "time" is not a field`,
      `${file}:10:22 TG_CONFIG_DUPLICATE /influx/downsample/1/measurement: "climate" with keep 365d is already downsampled by entry 1: both would write tidegate_365d.climate`,
      `${file}:11:46 TG_CONFIG_CONFLICT /influx/downsample/2/keep: keep 1d is shorter than every 2d: no downsampled point would be kept`,
    ])
  })

  it('api v2: the keys are reported as not managed there', () => {
    const file = write('v2.yaml', '  api: v2\n  org: acme\n  retention: 30d\n  maxSeries: 10\n')
    const errors = check(file)
    expect(errors).toHaveLength(2)
    expect(errors[0]).toBe(
      `${file}:5:14 TG_CONFIG_CONFLICT /influx/retention: not managed on api v2: set bucket retention and downsampling tasks in InfluxDB (docs/influx.md)`,
    )
  })

  it('is wired into `tidegate check` (exit 1, every error listed)', { timeout: 60_000 }, async () => {
    const file = write(
      'cli.yaml',
      '  downsample:\n    - { measurement: climate, every: 5m, keep: 30d, fields: { humidty: mean } }\n',
    )
    const r = await runCli(['check', '--config', file], { cwd: dir })
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`${file}:4:72 TG_CONFIG_UNKNOWN_NAME /influx/downsample/0/fields/humidty`)
    expect(r.stderr).toContain('unknown field "humidty" of measurement climate')
  })
})
