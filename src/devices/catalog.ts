import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { Ajv, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'
import type { FileError } from '../core/file-errors.js'
import { checkAgainstSchema, createOperatorFileAjv, plainMessage } from '../core/schema-check.js'
import { parseYamlFile } from '../core/yaml-source.js'
import { compilePattern, type TopicPattern } from './topic-pattern.js'
import { type DeviceTypeFile, DeviceTypeFileSchema } from './type-schema.js'

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv

/** A device type ready for the hot path: compiled topic patterns and payload validator. */
export interface DeviceType {
  name: string
  file: string
  measurement: string
  topics: TopicPattern[]
  timeField: string
  timeScale: number
  seqField: string
  tagFields: readonly string[]
  /** Explicit field list, or null for "every scalar that is not a tag, time or seq". */
  fieldNames: readonly string[] | null
  validate: ValidateFunction
  definition: DeviceTypeFile
}

export interface TopicMatch {
  type: DeviceType
  device: string
}

/** Files in the catalog folder that are not device types. */
const NOT_TYPE_FILES = new Set(['registry.yaml', 'registry.yml'])
const MAX_CACHED_TOPICS = 50_000

export class Catalog {
  private readonly cache = new Map<string, readonly TopicMatch[]>()

  constructor(readonly types: ReadonlyMap<string, DeviceType>) {}

  /** Every type whose topic patterns match, in catalog order. Cached per topic: devices repeat topics. */
  resolve(topic: string): readonly TopicMatch[] {
    const hit = this.cache.get(topic)
    if (hit) return hit
    const found: TopicMatch[] = []
    for (const type of this.types.values()) {
      for (const pattern of type.topics) {
        const device = pattern.match(topic)
        if (device !== null) {
          found.push({ type, device })
          break
        }
      }
    }
    // A bounded cache: a hostile client cycling topics must not grow memory.
    if (this.cache.size >= MAX_CACHED_TOPICS) this.cache.clear()
    this.cache.set(topic, found)
    return found
  }
}

const fileAjv = createOperatorFileAjv()
const validateTypeFile = fileAjv.compile(DeviceTypeFileSchema)

/** The payload validator instance: all errors, no coercion, formats on. */
function createPayloadAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false })
  addFormats(ajv)
  return ajv
}

export interface CatalogLoad {
  catalog: Catalog
  errors: FileError[]
}

/** Loads every `*.yaml` device type in a folder. Bad files are reported and left out; good ones load. */
export function loadCatalog(dir: string): CatalogLoad {
  const errors: FileError[] = []
  let names: string[]
  try {
    names = readdirSync(dir)
      .filter((n) => /\.ya?ml$/.test(n) && !NOT_TYPE_FILES.has(n))
      .sort()
  } catch (err) {
    errors.push({
      file: dir,
      line: 0,
      col: 0,
      path: '',
      message: `cannot read catalog folder: ${(err as Error).message}`,
    })
    return { catalog: new Catalog(new Map()), errors }
  }
  const payloadAjv = createPayloadAjv()
  const types = new Map<string, DeviceType>()
  for (const name of names) {
    const file = join(dir, name)
    const result = compileTypeFile(file, payloadAjv)
    if ('errors' in result) {
      errors.push(...result.errors)
      continue
    }
    const existing = types.get(result.name)
    if (existing) {
      errors.push({
        file,
        line: 1,
        col: 1,
        path: '/type',
        message: `type "${result.name}" is already declared in ${existing.file}`,
      })
      continue
    }
    types.set(result.name, result)
  }
  return { catalog: new Catalog(types), errors }
}

function compileTypeFile(file: string, payloadAjv: Ajv): DeviceType | { errors: FileError[] } {
  const source = parseYamlFile(file)
  if (source.errors.length) return { errors: source.errors }
  const errors = checkAgainstSchema(source, validateTypeFile)
  if (errors.length) return { errors }
  const def = source.value as DeviceTypeFile
  const topics: TopicPattern[] = []
  def.topics.forEach((t, i) => {
    try {
      topics.push(compilePattern(t))
    } catch (err) {
      errors.push({
        file,
        ...source.locate(['topics', i]),
        path: `/topics/${i}`,
        message: (err as Error).message,
      })
    }
  })
  let validate: ValidateFunction | undefined
  try {
    validate = payloadAjv.compile(def.schema)
  } catch (err) {
    errors.push({
      file,
      ...source.locate(['schema']),
      path: '/schema',
      message: `invalid JSON Schema: ${(err as Error).message}`,
    })
  }
  if (def.schema.type !== undefined && def.schema.type !== 'object') {
    errors.push({
      file,
      ...source.locate(['schema', 'type']),
      path: '/schema/type',
      message: 'a payload schema must describe an object',
    })
  }
  if (errors.length || !validate) return { errors }
  return {
    name: def.type,
    file,
    measurement: def.measurement,
    topics,
    timeField: def.time.field,
    timeScale: def.time.unit === 's' ? 1000 : 1,
    seqField: def.seq.field,
    tagFields: def.tags,
    fieldNames: def.fields ?? null,
    validate,
    definition: def,
  }
}

export { plainMessage }
