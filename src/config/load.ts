import { resolve } from 'node:path'
import type { TSchema } from '@sinclair/typebox'
import { CONFIG_FILE } from '../core/error-codes.js'
import { type FileError, FileErrors } from '../core/file-errors.js'
import { checkAgainstSchema, createOperatorFileAjv, plainMessage } from '../core/schema-check.js'
import { parseYamlFile } from '../core/yaml-source.js'
import { applyEnvOverrides, overrideAt, type SchemaView } from './env-overrides.js'
import { type GatewayConfig, GatewayConfigSchema } from './schema.js'
import { withSecretFiles } from './secret-files.js'

const ajv = createOperatorFileAjv()
// Compiled on first use, not at import: feature sections add themselves to the schema module first.
let compiled: ReturnType<typeof ajv.compile> | undefined
function validator() {
  compiled ??= ajv.compile(GatewayConfigSchema)
  return compiled
}

type SchemaNode = TSchema & { properties?: Record<string, TSchema>; items?: TSchema; type?: unknown }

function schemaAt(path: readonly (string | number)[]): SchemaNode | undefined {
  let node: SchemaNode | undefined = GatewayConfigSchema
  for (const seg of path) {
    if (!node) return undefined
    node = (typeof seg === 'number' ? node.items : node.properties?.[seg]) as SchemaNode | undefined
  }
  return node
}

/** The schema as env overrides need it: known camelCase keys, and which values stay plain text. */
export const configSchemaView: SchemaView = {
  keysAt: (path) => Object.keys(schemaAt(path)?.properties ?? {}),
  isStringAt: (path) => schemaAt(path)?.type === 'string',
}

export interface LoadedConfig {
  config: Readonly<GatewayConfig>
  file: string
}

/**
 * Loads, overrides from the environment, validates and freezes the gateway config.
 * Throws FileErrors listing every problem as `file:line:col CODE path: message`; a problem caused by an
 * environment variable names the variable instead of a file position.
 */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const source = parseYamlFile(file, CONFIG_FILE)
  if (source.errors.length) throw new FileErrors(source.errors)
  if (source.value === null || source.value === undefined) source.value = {}
  if (typeof source.value !== 'object' || Array.isArray(source.value)) {
    throw new FileErrors([
      {
        file,
        line: 1,
        col: 1,
        code: 'TG_CONFIG_INVALID',
        path: '/',
        message: 'the config must be a mapping of keys',
      },
    ])
  }
  // `TIDEGATE_X_FILE=path` supplies `TIDEGATE_X` from a file (secrets; see docs/security.md).
  const overrides = applyEnvOverrides(
    source.value as Record<string, unknown>,
    withSecretFiles(env),
    configSchemaView,
  )
  const errors: FileError[] = checkAgainstSchema(source, validator()).map((e) => {
    const override = overrideAt(overrides, e.path)
    return override ? { ...e, file: `env ${override.variable}`, line: 0, col: 0 } : e
  })
  if (errors.length) throw new FileErrors(errors)
  return { config: deepFreeze(source.value as GatewayConfig), file: resolve(file) }
}

/** Builds a config from an object (tests, embedding), with defaults applied and validated. */
export function configFromObject(value: unknown): Readonly<GatewayConfig> {
  const copy = structuredClone(value ?? {})
  const validate = validator()
  if (!validate(copy)) {
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath || '/'}: ${plainMessage(e)}`)
    throw new Error(`invalid config: ${problems.join('; ')}`)
  }
  return deepFreeze(copy as GatewayConfig)
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}
