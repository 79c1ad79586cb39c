import { resolve } from 'node:path'
import { mqttConfigChecker } from '../broker/config-check.js'
import { loadConfig } from '../config/load.js'
import { type FileError, FileErrors, formatFileError } from '../core/file-errors.js'
import { loadCatalog } from '../devices/catalog.js'
import { checkRegistryAndCommands } from '../devices/registry-check.js'
import { shapeConfigChecker } from '../influx-admin/config-checker.js'
import { serialConfigChecker } from '../ingest/serial/config-checker.js'
import { checkRuleFiles } from '../rules/check-rules.js'
import { influxConfigChecker } from '../sinks/influx/config-check.js'
import { upstreamConfigChecker } from '../sinks/upstream/config-check.js'
import { configPathFrom, parseCommonArgs } from './args.js'

/** Extra validators (rules, registry, ...) register here; each returns every error it finds. */
export const checkers: ((
  config: ReturnType<typeof loadConfig>['config'],
  baseDir: string,
  configFile: string,
) => FileError[])[] = [(config, baseDir) => loadCatalog(resolve(baseDir, config.catalog)).errors]
checkers.push(checkRegistryAndCommands)
checkers.push(checkRuleFiles)
checkers.push(serialConfigChecker)
checkers.push(influxConfigChecker)
checkers.push(mqttConfigChecker)
checkers.push(shapeConfigChecker)
checkers.push(upstreamConfigChecker)

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
  const errors = checkers.flatMap((check) => check(config, process.cwd(), file))
  for (const e of errors) process.stderr.write(`${formatFileError(e)}\n`)
  if (errors.length) {
    process.stderr.write(`${errors.length} error(s)\n`)
    return 1
  }
  process.stdout.write(`${file}: ok\n`)
  return 0
}
