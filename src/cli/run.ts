import { loadConfig } from '../config/load.js'
import { FileErrors } from '../core/file-errors.js'
import { Gateway } from '../gateway.js'
import { createLoggerFromConfig } from '../observability/logger.js'
import { configPathFrom, parseCommonArgs } from './args.js'
import { reloadConfig } from './reload.js'

const SHUTDOWN_DEADLINE_MS = 10_000

export async function runGateway(argv: string[]): Promise<number> {
  const { values } = parseCommonArgs(argv)
  const file = configPathFrom(values)
  let loaded: ReturnType<typeof loadConfig>
  try {
    loaded = loadConfig(file)
  } catch (err) {
    if (err instanceof FileErrors) {
      process.stderr.write(`config is invalid:\n${err.message}\n`)
      return 1
    }
    throw err
  }
  const logger = createLoggerFromConfig(loaded.config.log)
  const gateway = new Gateway({ config: loaded.config, logger })
  await gateway.start()
  // SIGHUP re-reads the config; features that can apply it live do (docs/operations.md).
  const reload = () => void reloadConfig(file, gateway.context.features(), logger)
  process.on('SIGHUP', reload)
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'shutting down')
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      process.off('SIGHUP', reload)
      resolve()
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
  await gateway.stop(SHUTDOWN_DEADLINE_MS)
  return 0
}
