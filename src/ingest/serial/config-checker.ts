import { resolve } from 'node:path'
import type { GatewayConfig } from '../../config/schema.js'
import { CONFIG_FILE } from '../../core/error-codes.js'
import type { FileError } from '../../core/file-errors.js'
import { parseYamlFile } from '../../core/yaml-source.js'
import { loadCatalog } from '../../devices/catalog.js'
import { checkSerialPorts } from './check.js'

/**
 * `tidegate check`: what the schema cannot see in `serial:` (port xor match, unknown type, kind-specific
 * keys, regex syntax, duplicate ports), located in the config file when it is given.
 */
export function serialConfigChecker(
  config: Readonly<GatewayConfig>,
  baseDir: string,
  configFile?: string,
): FileError[] {
  if (config.serial.length === 0) return []
  const { catalog } = loadCatalog(resolve(baseDir, config.catalog))
  const problems = checkSerialPorts(config.serial, new Set(catalog.types.keys()))
  if (problems.length === 0) return []
  const source = configFile ? parseYamlFile(configFile, CONFIG_FILE) : null
  return problems.map((p) => {
    const segments = p.path.split('/').filter(Boolean)
    const where =
      source && source.errors.length === 0
        ? source.locate(['serial', p.index, ...segments])
        : { line: 0, col: 0 }
    return {
      file: configFile ?? 'config',
      ...where,
      code: p.code,
      path: `/serial/${p.index}${p.path}`,
      message: p.message,
    }
  })
}
