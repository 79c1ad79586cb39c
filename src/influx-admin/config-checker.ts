import { resolve } from 'node:path'
import { type ConfigProblem, locateConfigProblems } from '../config/locate-problems.js'
import type { GatewayConfig } from '../config/schema.js'
import type { FileError } from '../core/file-errors.js'
import { type DeviceType, loadCatalog } from '../devices/catalog.js'
import { everyMs, keepMs } from './durations.js'
import { RAW_POLICY } from './plan.js'

/** Fields a device type writes: its explicit list, or its schema's properties minus tags, time and seq. */
function writtenFields(type: DeviceType): { fields: Set<string>; tags: Set<string> } {
  const tags = new Set(type.tagFields)
  if (type.fieldNames) return { fields: new Set(type.fieldNames), tags }
  const props = Object.keys(
    (type.definition.schema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {},
  )
  const fields = props.filter((p) => !tags.has(p) && p !== type.timeField && p !== type.seqField)
  return { fields: new Set(fields), tags }
}

/**
 * What the schema cannot say about `retention`/`downsample`/`maxSeries`: one entry per measurement and
 * keep, keep longer than every, fields the device types of that measurement actually write, no clash
 * with `retentionPolicy`, and nothing of it on api v2. Measurements no device type writes (rule outputs)
 * are not checked for fields.
 */
export function shapeProblems(influx: GatewayConfig['influx'], types: Iterable<DeviceType>): ConfigProblem[] {
  const problems: ConfigProblem[] = []
  if (influx.api === 'v2') {
    for (const key of ['retention', 'downsample', 'maxSeries'] as const) {
      const v = influx[key]
      if (v !== undefined && !(Array.isArray(v) && v.length === 0))
        problems.push({
          code: 'TG_CONFIG_CONFLICT',
          path: [key],
          message: `not managed on api v2: set bucket retention and downsampling tasks in InfluxDB (docs/influx.md)`,
        })
    }
    return problems
  }
  if (influx.retention && influx.retentionPolicy && influx.retentionPolicy !== RAW_POLICY)
    problems.push({
      code: 'TG_CONFIG_CONFLICT',
      path: ['retention'],
      message: `influx.retention manages the default policy ${RAW_POLICY}, but influx.retentionPolicy writes to "${influx.retentionPolicy}": remove one of them`,
    })
  const byMeasurement = new Map<string, DeviceType[]>()
  for (const t of types) byMeasurement.set(t.measurement, [...(byMeasurement.get(t.measurement) ?? []), t])
  const seen = new Map<string, number>()
  influx.downsample.forEach((entry, i) => {
    const key = `${entry.measurement}\u0000${entry.keep}`
    const first = seen.get(key)
    if (first !== undefined)
      problems.push({
        code: 'TG_CONFIG_DUPLICATE',
        path: ['downsample', i, 'measurement'],
        message: `"${entry.measurement}" with keep ${entry.keep} is already downsampled by entry ${first + 1}: both would write tidegate_${entry.keep}.${entry.measurement}`,
      })
    else seen.set(key, i)
    if (keepMs(entry.keep) < everyMs(entry.every))
      problems.push({
        code: 'TG_CONFIG_CONFLICT',
        path: ['downsample', i, 'keep'],
        message: `keep ${entry.keep} is shorter than every ${entry.every}: no downsampled point would be kept`,
      })
    const writers = byMeasurement.get(entry.measurement) ?? []
    const written = writers.map(writtenFields)
    const all = new Set(written.flatMap((w) => [...w.fields]))
    for (const field of Object.keys(entry.fields)) {
      const at = ['downsample', i, 'fields', field]
      if (field === 'time')
        problems.push({ code: 'TG_CONFIG_UNKNOWN_NAME', path: at, message: '"time" is not a field' })
      else if (writers.length === 0) continue
      else if (written.some((w) => w.tags.has(field)))
        problems.push({
          code: 'TG_CONFIG_UNKNOWN_NAME',
          path: at,
          message: `"${field}" is a tag of ${entry.measurement}, not a field: GROUP BY * keeps tags as they are`,
        })
      else if (!all.has(field))
        problems.push({
          code: 'TG_CONFIG_UNKNOWN_NAME',
          path: at,
          message: `unknown field "${field}" of measurement ${entry.measurement} (fields: ${[...all].sort().join(', ')})`,
        })
    }
  })
  return problems
}

/** `tidegate check`: the problems above located in the config file. */
export function shapeConfigChecker(
  config: Readonly<GatewayConfig>,
  baseDir: string,
  configFile?: string,
): FileError[] {
  const { catalog } = loadCatalog(resolve(baseDir, config.catalog))
  return locateConfigProblems('influx', shapeProblems(config.influx, catalog.types.values()), configFile)
}
