import { loadConfig } from '../config/load.js'
import type { GatewayConfig } from '../config/schema.js'
import { FileErrors, formatFileError } from '../core/file-errors.js'
import type { Extension } from '../extension.js'
import type { Logger } from '../observability/logger.js'

/**
 * What SIGHUP does: re-read the config file and hand it to every feature that can apply it live. A bad
 * file is logged with file:line and nothing changes (the last good config keeps running).
 */
export async function reloadConfig(
  file: string,
  /** The running features; those with `reloadConfig` (today: influx-admin) apply it, others need a restart. */
  features: readonly Extension[],
  logger: Logger,
): Promise<boolean> {
  let config: Readonly<GatewayConfig>
  try {
    config = loadConfig(file).config
  } catch (err) {
    const problems = err instanceof FileErrors ? err.errors : []
    const detail = problems.length ? problems.map(formatFileError) : [(err as Error).message]
    const codes = [...new Set(problems.map((e) => e.code))]
    logger.error({ errors: detail, codes }, 'config reload refused: the running config stays')
    return false
  }
  const applied: string[] = []
  for (const feature of features) {
    if (!feature.reloadConfig) continue
    try {
      await feature.reloadConfig(config)
      applied.push(feature.readinessKey ?? feature.name)
    } catch (err) {
      logger.error(
        { service: feature.name, err: (err as Error).message },
        'config reload failed for a feature',
      )
    }
  }
  logger.info({ applied }, 'config reloaded (other changes take effect after a restart)')
  return true
}
