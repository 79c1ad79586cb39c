import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { Ajv, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'
import { DEVICE_TYPE_FILE } from '../core/error-codes.js'
import type { FileError } from '../core/file-errors.js'
import {
  checkAgainstSchema,
  createOperatorFileAjv,
  pathSegments,
  plainMessage,
} from '../core/schema-check.js'
import { parseYamlFile, type YamlSource } from '../core/yaml-source.js'
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

/** Annotation keywords a payload schema may carry besides the standard ones (ignored by validation). */
export const PAYLOAD_ANNOTATIONS = ['unit']

/**
 * The payload validator instance: all errors, no coercion, formats on. Unknown keywords are errors
 * (`minimun: 0` must not silently validate nothing); type/tuple strictness stays off, it only nags.
 */
function createPayloadAjv(): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    strictSchema: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
  })
  addFormats(ajv)
  ajv.addVocabulary(PAYLOAD_ANNOTATIONS)
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
      code: 'TG_CATALOG_FOLDER_UNREADABLE',
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
        ...result.typeAt,
        code: 'TG_CATALOG_DUPLICATE_TYPE',
        path: '/type',
        message: `type "${result.name}" is already declared in ${existing.file}`,
      })
      continue
    }
    types.set(result.name, result)
  }
  return { catalog: new Catalog(types), errors }
}

function compileTypeFile(
  file: string,
  payloadAjv: Ajv,
): (DeviceType & { typeAt: { line: number; col: number } }) | { errors: FileError[] } {
  const source = parseYamlFile(file, DEVICE_TYPE_FILE)
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
        code: 'TG_CATALOG_TOPIC_INVALID',
        path: `/topics/${i}`,
        message: (err as Error).message,
      })
    }
  })
  if (def.measurement.startsWith('#')) {
    errors.push({
      file,
      ...source.locate(['measurement']),
      code: 'TG_CATALOG_INVALID',
      path: '/measurement',
      message: 'a measurement must not start with "#" (InfluxDB reads such a line as a comment)',
    })
  }
  let validate: ValidateFunction | undefined
  const metaErrors = payloadSchemaErrors(payloadAjv, def.schema)
  if (metaErrors.length) {
    for (const m of metaErrors)
      errors.push({
        file,
        ...source.locate(['schema', ...m.segs]),
        code: 'TG_CATALOG_SCHEMA_INVALID',
        path: m.path,
        message: m.message,
      })
  } else {
    try {
      validate = payloadAjv.compile(def.schema)
    } catch (err) {
      const where = compileErrorAt(err as Error, def.schema)
      errors.push({
        file,
        ...source.locate(['schema', ...where.segs], 'key'),
        code: 'TG_CATALOG_SCHEMA_INVALID',
        path: where.path,
        message: `invalid JSON Schema: ${(err as Error).message}`,
      })
    }
  }
  if (def.schema.type !== undefined && def.schema.type !== 'object') {
    errors.push({
      file,
      ...source.locate(['schema', 'type']),
      code: 'TG_CATALOG_SCHEMA_INVALID',
      path: '/schema/type',
      message: 'a payload schema must describe an object',
    })
  }
  errors.push(...undeclaredNames(def, source, file))
  if (errors.length || !validate) return { errors }
  return {
    typeAt: source.locate(['type']),
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

/** Meta-schema violations of a payload schema, each with its path inside the file's `schema:` key. */
function payloadSchemaErrors(
  ajv: Ajv,
  schema: Record<string, unknown>,
): { segs: string[]; path: string; message: string }[] {
  if (ajv.validateSchema(schema) === true) return []
  // The meta-schema's unions ("type" is a name or a list of names) report each branch: keep the first per place.
  const seen = new Set<string>()
  const out: { segs: string[]; path: string; message: string }[] = []
  for (const e of ajv.errors ?? []) {
    if (e.keyword === 'anyOf' || e.keyword === 'oneOf' || seen.has(e.instancePath)) continue
    seen.add(e.instancePath)
    out.push({
      segs: pathSegments(e.instancePath),
      path: `/schema${e.instancePath}`,
      message: `invalid JSON Schema: ${plainMessage(e)}`,
    })
  }
  return out
}

/** Where a keyword first appears in a schema (depth first), for pointing at a strict-mode error. */
function findKeyword(node: unknown, keyword: string, at: string[] = []): string[] | null {
  if (!node || typeof node !== 'object') return null
  if (!Array.isArray(node) && Object.hasOwn(node, keyword)) return [...at, keyword]
  for (const [k, v] of Object.entries(node)) {
    const found = findKeyword(v, keyword, [...at, k])
    if (found) return found
  }
  return null
}

/** Locates a compile error of a payload schema: at the unknown keyword when ajv names one. */
function compileErrorAt(err: Error, schema: Record<string, unknown>): { segs: string[]; path: string } {
  const keyword = /unknown keyword: "([^"]+)"/.exec(err.message)?.[1]
  const segs = keyword ? findKeyword(schema, keyword) : null
  return segs ? { segs, path: `/schema/${segs.join('/')}` } : { segs: [], path: '/schema' }
}

/**
 * Tags and fields must name payload properties when the schema lists them and allows no others:
 * a typo there would silently write nothing.
 */
function undeclaredNames(def: DeviceTypeFile, source: YamlSource, file: string): FileError[] {
  const props = def.schema.properties
  if (def.schema.additionalProperties !== false || !props || typeof props !== 'object') return []
  const errors: FileError[] = []
  for (const key of ['tags', 'fields'] as const) {
    ;(def[key] ?? []).forEach((name, i) => {
      if (!(name in props))
        errors.push({
          file,
          ...source.locate([key, i]),
          code: 'TG_CATALOG_UNDECLARED_NAME',
          path: `/${key}/${i}`,
          message: `"${name}" is not a property of the payload schema`,
        })
    })
  }
  return errors
}

export { plainMessage }
