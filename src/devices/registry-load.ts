import { existsSync } from 'node:fs'
import { REGISTRY_FILE, schemaErrorCode } from '../core/error-codes.js'
import type { FileError } from '../core/file-errors.js'
import { checkAgainstSchema, createOperatorFileAjv, plainMessage } from '../core/schema-check.js'
import { parseYamlFile } from '../core/yaml-source.js'
import { type RegistryEntry, RegistryEntrySchema, RegistryFileSchema } from './registry-schema.js'

const ajv = createOperatorFileAjv()
const validateFile = ajv.compile(RegistryFileSchema)
const validateEntry = ajv.compile(RegistryEntrySchema)

export interface RegistryLoad {
  entries: RegistryEntry[]
  errors: FileError[]
}

/**
 * Loads `registry.yaml`. Each entry is validated on its own: a bad entry (unknown key, unknown type,
 * duplicate id) is reported at its file:line:col and left out, the good ones load.
 * A missing file is an empty registry unless `required` (the operator named it explicitly).
 */
export function loadRegistry(
  file: string,
  knownTypes: ReadonlySet<string>,
  options: { required: boolean } = { required: false },
): RegistryLoad {
  if (!existsSync(file)) {
    if (!options.required) return { entries: [], errors: [] }
    const notFound = 'registry file not found'
    return {
      entries: [],
      errors: [{ file, line: 0, col: 0, code: 'TG_REGISTRY_NOT_FOUND', path: '', message: notFound }],
    }
  }
  const source = parseYamlFile(file, REGISTRY_FILE)
  if (source.errors.length) return { entries: [], errors: source.errors }
  if (source.value === null || source.value === undefined) return { entries: [], errors: [] }
  const fileErrors = checkAgainstSchema(source, validateFile)
  if (fileErrors.length) return { entries: [], errors: fileErrors }
  const list = (source.value as { devices: unknown[] }).devices
  const entries: RegistryEntry[] = []
  const errors: FileError[] = []
  const seen = new Map<string, number>()
  list.forEach((raw, i) => {
    if (!validateEntry(raw)) {
      for (const e of validateEntry.errors ?? []) {
        const segs = e.instancePath ? e.instancePath.slice(1).split('/') : []
        const extra =
          e.keyword === 'additionalProperties'
            ? [(e.params as { additionalProperty: string }).additionalProperty]
            : []
        errors.push({
          file,
          ...source.locate(['devices', i, ...segs, ...extra]),
          code: schemaErrorCode(REGISTRY_FILE, e.keyword),
          path: `/devices/${i}${e.instancePath}`,
          message: plainMessage(e),
        })
      }
      return
    }
    const entry = raw as RegistryEntry
    if (!knownTypes.has(entry.type)) {
      errors.push({
        file,
        ...source.locate(['devices', i, 'type']),
        code: 'TG_REGISTRY_UNKNOWN_TYPE',
        path: `/devices/${i}/type`,
        message: `unknown device type "${entry.type}" (known: ${[...knownTypes].join(', ') || 'none'})`,
      })
      return
    }
    const first = seen.get(entry.id)
    if (first !== undefined) {
      errors.push({
        file,
        ...source.locate(['devices', i, 'id']),
        code: 'TG_REGISTRY_DUPLICATE_ID',
        path: `/devices/${i}/id`,
        message: `device "${entry.id}" is already registered at /devices/${first}`,
      })
      return
    }
    seen.set(entry.id, i)
    entries.push(entry)
  })
  return { entries, errors }
}
