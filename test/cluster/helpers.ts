import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { leaseKey } from '../../src/cluster/leases.js'
import { freePort } from '../helpers/free-port.js'

/** Reads which node holds each partition's lease (null: nobody); its Redis connection closes with the test. */
export function leaseOwners(
  redisUrl: string,
  partitions: number,
  cleanup: { push(fn: () => unknown): void },
): () => Promise<(string | null)[]> {
  const admin = new Redis(redisUrl)
  cleanup.push(() => admin.quit())
  const keys = Array.from({ length: partitions }, (_, p) => leaseKey(p))
  return () => admin.mget(...keys)
}

/** Polls `check` until it holds; throws after `timeoutMs`. */
export async function until(check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 50))
  }
}

/**
 * Config files for gateway processes forming one cluster (one per node id, free ports, one InfluxDB
 * database, data folders and rules in `dir`): the ports and files by node id.
 */
export async function clusterNodeFiles(o: {
  dir: string
  nodes: readonly string[]
  influxUrl: string
  database: string
  redisUrl: string
  partitions: number
  /** More keys of `cluster:` (YAML flow mapping entries). */
  cluster?: string
}): Promise<{ ports: Map<string, number>; files: Map<string, string> }> {
  const ports = new Map<string, number>()
  const files = new Map<string, string>()
  for (const id of o.nodes) {
    const port = await freePort()
    ports.set(id, port)
    const file = join(o.dir, `${id}.yaml`)
    files.set(id, file)
    writeFileSync(
      file,
      `version: 1
mqtt: { listeners: [{ host: 127.0.0.1, port: ${port} }], publishRate: { perSecond: 0 } }
influx: { url: ${o.influxUrl}, database: ${o.database}, flushInterval: 50ms, maxRetryDelay: 300ms }
http: { host: 127.0.0.1, port: 0 }
rules: ${o.dir}
dataDir: ${join(o.dir, `data-${id}`)}
log: { level: warn }
cluster: { redis: ${o.redisUrl}, nodeId: ${id}, partitions: ${o.partitions}, leaseTtl: 1s${o.cluster ? `, ${o.cluster}` : ''} }
`,
    )
  }
  return { ports, files }
}
