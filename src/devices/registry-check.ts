import { join, resolve } from 'node:path'
import { CommandCatalog } from '../commands/command-catalog.js'
import type { GatewayConfig } from '../config/schema.js'
import { toMs } from '../core/duration.js'
import type { FileError } from '../core/file-errors.js'
import { loadCatalog } from './catalog.js'
import { loadRegistry } from './registry-load.js'

/** `tidegate check`: the registry file and every command params schema of the catalog. */
export function checkRegistryAndCommands(config: Readonly<GatewayConfig>, baseDir: string): FileError[] {
  const { catalog } = loadCatalog(resolve(baseDir, config.catalog))
  const commands = CommandCatalog.compile(catalog.types, {
    timeoutMs: toMs(config.devices.commands.timeout),
    retries: config.devices.commands.retries,
  })
  const explicit = config.devices.registry
  const file = explicit ? resolve(baseDir, explicit) : join(resolve(baseDir, config.catalog), 'registry.yaml')
  const registry = loadRegistry(file, new Set(catalog.types.keys()), { required: explicit !== undefined })
  return [...commands.errors, ...registry.errors]
}
