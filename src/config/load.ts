import { resolve } from 'node:path'
import type { TSchema } from '@sinclair/typebox'
import { type FileError, FileErrors } from '../core/file-errors.js'
import { checkAgainstSchema, createOperatorFileAjv } from '../core/schema-check.js'
import { parseYamlFile } from '../core/yaml-source.js'
import { applyEnvOverrides } from './env-overrides.js'
import { type GatewayConfig, GatewayConfigSchema } from './schema.js'

const ajv = createOperatorFileAjv()
const validateConfig = ajv.compile(GatewayConfigSchema)

/** The keys the schema knows at a path, so env overrides find camelCase keys absent from the file. */
function schemaKeysAt(path: (string | number)[]): string[] {
  let node: TSchema | undefined = GatewayConfigSchema
  for (const seg of path) {
    if (!node) return []
    if (typeof seg === 'number') node = (node as { items?: TSchema }).items
    else node = (node as { properties?: Record<string, TSchema> }).properties?.[seg]
  }
  return Object.keys((node as { properties?: Record<string, TSchema> } | undefined)?.properties ?? {})
}

export interface LoadedConfig {
  config: Readonly<GatewayConfig>
  file: string
}

/**
 * Loads, overrides from the environment, validates and freezes the gateway config.
 * Throws FileErrors listing every problem as file:line:col path: message.
 */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const source = parseYamlFile(file)
  if (source.errors.length) throw new FileErrors(source.errors)
  if (source.value === null || source.value === undefined) source.value = {}
  if (typeof source.value !== 'object' || Array.isArray(source.value)) {
    throw new FileErrors([
      { file, line: 1, col: 1, path: '/', message: 'the config must be a mapping of keys' },
    ])
  }
  const overrides = applyEnvOverrides(source.value as Record<string, unknown>, env, schemaKeysAt)
  const errors: FileError[] = checkAgainstSchema(source, validateConfig).map((e) => {
    // An error under an overridden path came from the environment, not the file: say so.
    const override = overrides.find((o) => e.path.startsWith(`/${o.path.join('/')}`))
    return override ? { ...e, file: `env ${override.variable}`, line: 0, col: 0 } : e
  })
  if (errors.length) throw new FileErrors(errors)
  return { config: deepFreeze(source.value as GatewayConfig), file: resolve(file) }
}

/** Builds a config from an object (tests, embedding), with defaults applied and validated. */
export function configFromObject(value: unknown): Readonly<GatewayConfig> {
  const copy = structuredClone(value ?? {})
  if (!validateConfig(copy)) {
    throw new Error(`invalid config: ${ajv.errorsText(validateConfig.errors)}`)
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
