import type { TSchema } from '@sinclair/typebox'
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'
import { schemaErrorCode } from './error-codes.js'
import type { FileError } from './file-errors.js'
import type { YamlSource } from './yaml-source.js'

// ajv-formats is CommonJS; its default export arrives wrapped under ESM interop.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv

/** Marks a schema node as a duration (see duration.ts) so its errors read as one plain sentence. */
export const DURATION_MARK = 'x-duration'
/** A string pattern's plain-words description: a value that does not match reads "invalid "x": <hint>". */
export const HINT_MARK = 'x-hint'
/** Marks a schema node as a size (see size.ts), worded like a duration. */
export const SIZE_MARK = 'x-size'

/**
 * One ajv instance for operator files: defaults applied, every error reported, and `verbose` so an
 * error carries the offending value and its schema (messages quote what the operator wrote).
 */
export function createOperatorFileAjv(): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    useDefaults: true,
    strict: false,
    coerceTypes: false,
    verbose: true,
    // Operator files are validated once per load, not per message: skip ajv's code optimisation pass,
    // which is most of the compile time at start-up.
    code: { optimize: false },
  })
  addFormats(ajv)
  return ajv
}

function shown(value: unknown): string {
  const text = JSON.stringify(value)
  if (text === undefined) return String(value)
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}

function typeName(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a mapping'
  return `${typeof value} ${shown(value)}`
}

/** Turns an ajv error into a plain sentence an operator can act on. */
export function plainMessage(e: ErrorObject): string {
  const parent = e.parentSchema as Record<string, unknown> | undefined
  if (parent?.[DURATION_MARK] && e.keyword !== 'minimum') {
    return `invalid duration ${shown(e.data)}: use a number with a unit (250ms, 10s, 5m, 2h, 7d) or whole milliseconds`
  }
  if (e.keyword === 'pattern' && typeof parent?.[HINT_MARK] === 'string')
    return `invalid value ${shown(e.data)}: ${parent[HINT_MARK]}`
  if (parent?.[SIZE_MARK] && e.keyword !== 'minimum') {
    return `invalid size ${shown(e.data)}: use a number with a unit (512KiB, 128MiB, 1GB) or whole bytes`
  }
  switch (e.keyword) {
    case 'required':
      return `missing required key "${(e.params as { missingProperty: string }).missingProperty}"`
    case 'additionalProperties':
      return `unknown key "${(e.params as { additionalProperty: string }).additionalProperty}"`
    case 'enum':
      return `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`
    case 'const':
      return `must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`
    case 'type': {
      const expected = String((e.params as { type: string }).type).replace(/,/g, ' or ')
      return 'data' in e ? `must be ${expected}, not ${typeName(e.data)}` : `must be ${expected}`
    }
    default:
      return e.message ?? e.keyword
  }
}

export function pathSegments(instancePath: string): string[] {
  if (!instancePath) return []
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
}

/**
 * A union of constants (TypeBox `Type.Union([Type.Literal(..)])`) fails with one "must be equal to
 * constant" per branch; say it once as "must be one of ...". Other unions keep their branch errors.
 */
function collapseConstUnions(errors: ErrorObject[]): ErrorObject[] {
  const out: ErrorObject[] = []
  const dropped = new Set<ErrorObject>()
  for (const e of errors) {
    if (e.keyword !== 'anyOf' && e.keyword !== 'oneOf') continue
    const branches = Array.isArray(e.schema) ? (e.schema as Record<string, unknown>[]) : []
    if (branches.length === 0 || !branches.every((b) => b && typeof b === 'object' && 'const' in b)) continue
    for (const b of errors) if (b !== e && b.schemaPath.startsWith(`${e.schemaPath}/`)) dropped.add(b)
    out.push({
      ...e,
      keyword: 'enum',
      params: { allowedValues: branches.map((b) => b['const']) },
    })
    dropped.add(e)
  }
  for (const e of errors) {
    if (dropped.has(e)) continue
    if (e.keyword === 'anyOf' || e.keyword === 'oneOf' || e.keyword === 'if') continue
    out.push(e)
  }
  return out
}

/**
 * Validates a parsed YAML source against a schema (applying defaults in place) and returns
 * located errors: unknown keys point at the key, everything else at the offending value.
 */
export function checkAgainstSchema(source: YamlSource, validate: ValidateFunction): FileError[] {
  if (validate(source.value)) return []
  const seen = new Set<string>()
  const out: FileError[] = []
  for (const e of collapseConstUnions(validate.errors ?? [])) {
    const segs = pathSegments(e.instancePath)
    const unknownKey =
      e.keyword === 'additionalProperties'
        ? (e.params as { additionalProperty: string }).additionalProperty
        : undefined
    const path = unknownKey === undefined ? e.instancePath || '/' : `${e.instancePath}/${unknownKey}`
    const msg = plainMessage(e)
    const key = `${path}|${msg}`
    if (seen.has(key)) continue
    seen.add(key)
    out.push({
      file: source.file,
      ...(unknownKey === undefined ? source.locate(segs) : source.locate([...segs, unknownKey], 'key')),
      code: schemaErrorCode(source.codes, e.keyword),
      path,
      message: msg,
    })
  }
  return out
}

export type { TSchema }
