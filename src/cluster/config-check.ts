import { type ConfigProblem, locateConfigProblems } from '../config/locate-problems.js'
import type { GatewayConfig } from '../config/schema.js'
import type { FileError } from '../core/file-errors.js'
import type { ClusterConfig } from './config-schema.js'
import { compilePartitioner } from './partition.js'

/** What the `cluster` schema cannot say alone: `partitionBy` is valid CEL over the event. */
export function clusterConfigProblems(c: ClusterConfig): ConfigProblem[] {
  const p = compilePartitioner(c.partitionBy, c.partitions)
  if (typeof p === 'function') return []
  return [
    { code: 'TG_CONFIG_INVALID', path: ['partitionBy'], message: `CEL at offset ${p.offset}: ${p.message}` },
  ]
}

/** `tidegate check`: the cluster problems, located in the config file when it is given. */
export function clusterConfigChecker(
  config: Readonly<GatewayConfig>,
  _baseDir: string,
  configFile?: string,
): FileError[] {
  return locateConfigProblems('cluster', clusterConfigProblems(config.cluster), configFile)
}
