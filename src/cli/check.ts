import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { mqttConfigChecker } from '../broker/config-check.js'
import { loadConfig } from '../config/load.js'
import { type FileError, FileErrors, formatFileError } from '../core/file-errors.js'
import { loadCatalog } from '../devices/catalog.js'
import type { ConfigCheck } from '../extension.js'
import { extensionFactories } from '../extensions.js'
import { influxConfigChecker } from '../sinks/influx/config-check.js'
import { configPathFrom } from './args.js'

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
  const { values } = parseArgs({
    args: argv,
    options: { config: { type: 'string', short: 'c' }, json: { type: 'boolean' } },
    allowPositionals: true,
    strict: true,
  })
  const file = configPathFrom(values)
  const { errors, configValid } = await checkAll(file)
  if (values.json) {
    // For scripts: one JSON document on stdout, each error with its stable code (docs/errors.md).
    process.stdout.write(`${JSON.stringify({ config: file, ok: errors.length === 0, errors })}\n`)
    return errors.length ? 1 : 0
  }
  for (const e of errors) process.stderr.write(`${formatFileError(e)}\n`)
  if (errors.length) {
    if (configValid) process.stderr.write(`${errors.length} error(s)\n`)
    return 1
  }
  process.stdout.write(`${file}: ok\n`)
  return 0
}

/** Every error of the config file, or, when it is valid, of every check. */
async function checkAll(file: string): Promise<{ errors: FileError[]; configValid: boolean }> {
  let config: ReturnType<typeof loadConfig>['config']
  try {
    config = loadConfig(file).config
  } catch (err) {
    if (err instanceof FileErrors) return { errors: err.errors, configValid: false }
    throw err
  }
  const checks = configChecks().map((check) => check(config, process.cwd(), file))
  return { errors: (await Promise.all(checks)).flat(), configValid: true }
}
