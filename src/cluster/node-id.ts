import { hostname } from 'node:os'
import type { ClusterConfig } from './config-schema.js'

/** This node's id in the cluster: `cluster.nodeId`, else host name + pid (unique per process on a box). */
export function clusterNodeId(c: Pick<ClusterConfig, 'nodeId'>): string {
  return c.nodeId ?? `${hostname().replace(/[^A-Za-z0-9_.-]/g, '_')}-${process.pid}`
}
