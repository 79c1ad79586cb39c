import { loadConfig } from '../config/load.js'
import type { GatewayConfig } from '../config/schema.js'
import { FileErrors, formatFileError } from '../core/file-errors.js'
import type { Logger } from '../observability/logger.js'

/** A feature view that applies a reloaded config (today: `influxAdmin`); others need a restart. */
export interface ConfigReloadable {
  reloadConfig(config: Readonly<GatewayConfig>): Promise<void>
}

function isReloadable(v: unknown): v is ConfigReloadable {
  return typeof (v as ConfigReloadable | null)?.reloadConfig === 'function'
}

/**
 * What SIGHUP does: re-read the config file and hand it to every feature that can apply it live. A bad
 * file is logged with file:line and nothing changes (the last good config keeps running).
 */
export async function reloadConfig(
  file: string,
  services: ReadonlyMap<string, unknown>,
  logger: Logger,
): Promise<boolean> {
  let config: Readonly<GatewayConfig>
  try {
    config = loadConfig(file).config
  } catch (err) {
    const detail = err instanceof FileErrors ? err.errors.map(formatFileError) : [(err as Error).message]
    logger.error({ errors: detail }, 'config reload refused: the running config stays')
    return false
  }
  const applied: string[] = []
  for (const [name, service] of services) {
    if (!isReloadable(service)) continue
    try {
      await service.reloadConfig(config)
      applied.push(name)
    } catch (err) {
      logger.error({ service: name, err: (err as Error).message }, 'config reload failed for a feature')
    }
  }
  logger.info({ applied }, 'config reloaded (other changes take effect after a restart)')
  return true
}
