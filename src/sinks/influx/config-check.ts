import { type ConfigProblem, locateConfigProblems } from '../../config/locate-problems.js'
import type { GatewayConfig } from '../../config/schema.js'
import type { FileError } from '../../core/file-errors.js'

/** What the `influx` schema cannot say alone: the v2 API needs an organisation. */
export function influxConfigProblems(influx: GatewayConfig['influx']): ConfigProblem[] {
  if (influx.api === 'v2' && !influx.org)
    return [
      {
        code: 'TG_CONFIG_CONFLICT',
        path: ['api'],
        message: 'api v2 needs influx.org (and usually influx.token)',
      },
    ]
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
