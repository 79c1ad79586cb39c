import { locateConfigProblems } from '../../config/locate-problems.js'
import type { GatewayConfig } from '../../config/schema.js'
import type { FileError } from '../../core/file-errors.js'

/** What the `influx` schema cannot say alone: the v2 API needs an organisation. */
export function influxConfigProblems(influx: GatewayConfig['influx']): { path: string[]; message: string }[] {
  if (influx.api === 'v2' && !influx.org)
    return [{ path: ['api'], message: 'api v2 needs influx.org (and usually influx.token)' }]
  return []
}

/** `tidegate check`: the influx problems, located in the config file when it is given. */
export function influxConfigChecker(
  config: Readonly<GatewayConfig>,
  _baseDir: string,
  configFile?: string,
): FileError[] {
  return locateConfigProblems('influx', influxConfigProblems(config.influx), configFile)
}
