import type { Extension, GatewayContext } from '../extension.js'
import { clusterConfigChecker } from './config-check.js'

/**
 * The cluster feature (docs/cluster.md). The shared broker itself is wired by the composition root
 * (src/broker/redis-bus.ts); without `cluster.redis` this feature is off.
 */
export function clusterExtension(ctx: GatewayContext): Extension | null {
  if (!ctx.config.cluster.redis) return null
  return null
}

/** `tidegate check`: `cluster.partitionBy` is CEL over the event. */
clusterExtension.check = clusterConfigChecker
