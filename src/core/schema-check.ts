import type { TSchema } from '@sinclair/typebox'
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'
import type { FileError } from './file-errors.js'
import type { YamlSource } from './yaml-source.js'

// ajv-formats is CommonJS; its default export arrives wrapped under ESM interop.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv

/** One ajv instance for operator files: defaults applied, every error reported. */
export function createOperatorFileAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, coerceTypes: false })
  addFormats(ajv)
  return ajv
}

/** Turns an ajv error into a plain sentence an operator can act on. */
export function plainMessage(e: ErrorObject): string {
  switch (e.keyword) {
    case 'required':
      return `missing required key "${(e.params as { missingProperty: string }).missingProperty}"`
    case 'additionalProperties':
      return `unknown key "${(e.params as { additionalProperty: string }).additionalProperty}"`
    case 'enum':
      return `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`
    case 'type':
      return `must be ${(e.params as { type: string }).type}`
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
 * Validates a parsed YAML source against a schema (applying defaults in place) and returns
 * located errors. anyOf/oneOf noise is reduced to the deepest errors so messages stay readable.
 */
export function checkAgainstSchema(source: YamlSource, validate: ValidateFunction): FileError[] {
  if (validate(source.value)) return []
  const errors = (validate.errors ?? []).filter(
    (e) => e.keyword !== 'anyOf' && e.keyword !== 'oneOf' && e.keyword !== 'if',
  )
  const seen = new Set<string>()
  const out: FileError[] = []
  for (const e of errors) {
    const segs = pathSegments(e.instancePath)
    const extra =
      e.keyword === 'additionalProperties'
        ? [(e.params as { additionalProperty: string }).additionalProperty]
        : []
    const msg = plainMessage(e)
    const key = `${e.instancePath}|${msg}`
    if (seen.has(key)) continue
    seen.add(key)
    out.push({
      file: source.file,
      ...source.locate([...segs, ...extra]),
      path: e.instancePath || '/',
      message: msg,
    })
  }
  return out
}

export type { TSchema }
