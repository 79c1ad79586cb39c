import { Ajv, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'
import { toMs } from '../../src/core/duration.js'
import { SCENARIO_FILE } from '../../src/core/error-codes.js'
import { type FileError, FileErrors } from '../../src/core/file-errors.js'
import { checkAgainstSchema } from '../../src/core/schema-check.js'
import { parseYamlFile, parseYamlText, type YamlSource } from '../../src/core/yaml-source.js'
import {
  type DeviceGroup,
  EVENT_SCHEMAS,
  FIELD_MODELS,
  type Scenario,
  ScenarioSchema,
} from './scenario-schema.js'

// ajv-formats is CommonJS; its default export arrives wrapped under ESM interop.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv
let validator: ValidateFunction | undefined

/**
 * The operator-file ajv settings plus `discriminator`: field models and events are tagged by `kind`, so
 * a mistake reports that kind's errors only, and defaults inside the tagged branches are applied.
 */
function validate(): ValidateFunction {
  validator ??= addFormats(
    new Ajv({
      allErrors: true,
      useDefaults: true,
      strict: false,
      coerceTypes: false,
      verbose: true,
      discriminator: true,
    }),
  ).compile(ScenarioSchema)
  return validator
}

const KIND_NAMES = {
  field: FIELD_MODELS.map((m) => m.properties.kind.const),
  event: EVENT_SCHEMAS.map((m) => m.properties.kind.const),
}

/** ajv words an unknown tag as 'value of tag "kind" must be in oneOf'; say which kinds exist instead. */
function explainKind(e: FileError): FileError {
  if (!e.message.startsWith('value of tag')) return e
  const names = e.path.startsWith('/events') ? KIND_NAMES.event : KIND_NAMES.field
  return { ...e, message: `kind must be one of ${names.join(', ')}` }
}

/** Parses and validates a scenario; every problem comes back as `file:line:col CODE path: message`. */
export function checkScenarioSource(source: YamlSource): { scenario?: Scenario; errors: FileError[] } {
  if (source.errors.length) return { errors: source.errors }
  const errors = checkAgainstSchema(source, validate()).map(explainKind)
  if (errors.length) return { errors }
  const scenario = source.value as Scenario
  errors.push(...crossCheck(scenario, source))
  return errors.length ? { errors } : { scenario, errors }
}

/** Loads a scenario file or throws FileErrors listing every problem. */
export function loadScenarioFile(file: string): Scenario {
  const { scenario, errors } = checkScenarioSource(parseYamlFile(file, SCENARIO_FILE))
  if (!scenario) throw new FileErrors(errors)
  return scenario
}

export function loadScenarioText(text: string, file = '<scenario>'): Scenario {
  const { scenario, errors } = checkScenarioSource(parseYamlText(text, file, SCENARIO_FILE))
  if (!scenario) throw new FileErrors(errors)
  return scenario
}

/** References the schema cannot see: zone names, derived fields naming their sources. */
function crossCheck(s: Scenario, source: YamlSource): FileError[] {
  const out: FileError[] = []
  const at = (path: (string | number)[], message: string) =>
    out.push({
      file: source.file,
      ...source.locate(path),
      code: 'TG_SCENARIO_REFERENCE',
      path: `/${path.join('/')}`,
      message,
    })
  const zones = new Set(s.zones.map((z) => z.id))
  s.devices.forEach((g, i) => {
    if (g.perZone && zones.size === 0) at(['devices', i, 'perZone'], 'perZone needs at least one zone')
    if (g.zone !== undefined && !zones.has(g.zone)) at(['devices', i, 'zone'], `unknown zone "${g.zone}"`)
    const names = Object.keys(g.fields)
    names.forEach((name, j) => {
      const f = g.fields[name]
      const sources =
        f?.kind === 'energy' ? [f.of] : f?.kind === 'current' ? [f.power, f.voltage] : ([] as string[])
      for (const src of sources)
        if (names.indexOf(src) < 0 || names.indexOf(src) >= j)
          at(['devices', i, 'fields', name], `"${src}" must be a field declared before "${name}"`)
    })
  })
  s.events.forEach((e, i) => {
    if (e.kind === 'heat' && !zones.has(e.zone)) at(['events', i, 'zone'], `unknown zone "${e.zone}"`)
  })
  return out
}

/** One simulated device instance, expanded from a group. */
export interface DeviceSpec {
  id: string
  index: number
  group: DeviceGroup
  topic: string
  zone: string | undefined
  intervalMs: number
  tags: Record<string, string>
}

export interface ExpandOptions {
  /** Total number of non-actuator devices; groups are scaled proportionally. */
  devices?: number
  /** Total messages per second across all devices; overrides group intervals. */
  rate?: number
}

function fill(template: string, vars: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => vars[k] ?? m)
}

/** A group whose id template tells its devices apart by number, so it can be multiplied. */
function isNumbered(g: DeviceGroup): boolean {
  return /\{(?:n|i)\}/.test(g.id)
}

/** Turns device groups into concrete devices, applying the CLI's --devices and --rate overrides. */
export function expandDevices(s: Scenario, options: ExpandOptions = {}): DeviceSpec[] {
  const instances = (g: DeviceGroup) => g.count * (g.perZone ? s.zones.length : 1)
  // Only groups whose id numbers its devices ({n} or {i}) scale; a fixed id (`site-meter`) is one
  // device per zone at most, and --devices shares what is left among the scalable groups.
  const scalable = s.devices.filter((g) => !g.actuator && isNumbered(g))
  const fixed = s.devices.filter((g) => !g.actuator && !isNumbered(g))
  const natural = scalable.reduce((n, g) => n + instances(g), 0)
  const wanted = (options.devices ?? 0) - fixed.reduce((n, g) => n + instances(g), 0)
  const scale = options.devices !== undefined && natural > 0 ? Math.max(0, wanted) / natural : 1
  const out: DeviceSpec[] = []
  for (const g of s.devices) {
    const zones: (string | undefined)[] = g.perZone ? s.zones.map((z) => z.id) : [undefined]
    const count = g.actuator || !isNumbered(g) ? g.count : Math.max(0, Math.round(g.count * scale))
    for (const zone of zones) {
      for (let n = 1; n <= count; n++) {
        const vars = { zone: zone ?? '', n: String(n), i: String(out.length) }
        const id = fill(g.id, vars)
        const tags = Object.fromEntries(Object.entries(g.tags).map(([k, v]) => [k, fill(v, { ...vars, id })]))
        out.push({
          id,
          index: out.length,
          group: g,
          topic: fill(g.topic, { ...vars, id }),
          zone: zone ?? g.zone ?? tags['zone'],
          intervalMs: toMs(g.interval),
          tags,
        })
      }
    }
  }
  if (options.rate !== undefined && options.rate > 0) {
    const publishers = out.filter((d) => !d.group.actuator || Object.keys(d.group.fields).length > 0)
    const interval = (publishers.length * 1000) / options.rate
    for (const d of publishers) d.intervalMs = interval
  }
  const ids = new Set<string>()
  for (const d of out) {
    if (ids.has(d.id)) throw new Error(`scenario "${s.name}": device id "${d.id}" is not unique`)
    ids.add(d.id)
  }
  return out
}
