import { resolve } from 'node:path'
import { mqttConfigChecker } from '../broker/config-check.js'
import { loadConfig } from '../config/load.js'
import { FileErrors, formatFileError } from '../core/file-errors.js'
import { loadCatalog } from '../devices/catalog.js'
import type { ConfigCheck } from '../extension.js'
import { extensionFactories } from '../extensions.js'
import { influxConfigChecker } from '../sinks/influx/config-check.js'
import { configPathFrom, parseCommonArgs } from './args.js'

/**
 * What `tidegate check` runs: the core parts' checks (catalog, broker, outbox), then every feature's own
 * `check` (src/extensions.ts). Each returns every error it finds.
 */
export function configChecks(): ConfigCheck[] {
  const core: ConfigCheck[] = [
    (config, baseDir) => loadCatalog(resolve(baseDir, config.catalog)).errors,
    influxConfigChecker,
    mqttConfigChecker,
  ]
  return [...core, ...extensionFactories.flatMap((f) => (f.check ? [f.check] : []))]
}

export async function runCheck(argv: string[]): Promise<number> {
  const { values } = parseCommonArgs(argv)
  const file = configPathFrom(values)
  let config: ReturnType<typeof loadConfig>['config']
  try {
    config = loadConfig(file).config
  } catch (err) {
    if (err instanceof FileErrors) {
      process.stderr.write(`${err.message}\n`)
      return 1
    }
    throw err
  }
  const errors = (await Promise.all(configChecks().map((check) => check(config, process.cwd(), file)))).flat()
  for (const e of errors) process.stderr.write(`${formatFileError(e)}\n`)
  if (errors.length) {
    process.stderr.write(`${errors.length} error(s)\n`)
    return 1
  }
  process.stdout.write(`${file}: ok\n`)
  return 0
}
