import { type InfluxDB, escape as influxEscape } from 'influx'
import { influxErrorText } from './admin-client.js'
import { MANAGED_PREFIX } from './plan.js'
import { continuousQueriesOf } from './queries.js'

/** What InfluxDB says about the gateway's database (`tidegate influx status`, metrics, the status page). */
export interface DatabaseStatus {
  database: string
  exists: boolean
  retentionPolicies: { name: string; duration: string; default: boolean; managed: boolean }[]
  continuousQueries: { name: string; query: string; managed: boolean }[]
  /** Exact series count per measurement (all retention policies of the database). */
  seriesByMeasurement: Record<string, number>
  seriesTotal: number
  /** Bytes on disk of the database's shards (TSM files + WAL), null when InfluxDB does not report it. */
  diskBytes: number | null
  diskBytesByPolicy: Record<string, number>
  /** Why disk use is unknown (e.g. SHOW STATS needs admin rights), when it is. */
  diskError: string | null
}

interface RawSeries {
  name?: string
  tags?: Record<string, string>
  columns?: string[]
  values?: unknown[][]
}

function seriesOf(raw: unknown): RawSeries[] {
  const result = (raw as { results?: { series?: RawSeries[]; error?: string }[] }).results?.[0]
  if (result?.error) throw new Error(result.error)
  return result?.series ?? []
}

/**
 * Series per measurement over all the database's retention policies. SHOW SERIES without a policy counts
 * only the default policy's shards, so every policy is named; a series kept in two policies (raw and
 * downsampled) counts in each, as it is stored in each.
 */
export async function seriesByMeasurement(
  client: InfluxDB,
  database: string,
  policies: readonly string[],
): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  if (policies.length === 0) return out
  const q = influxEscape.quoted
  // `"rp"./.*/`: with a database prefix too InfluxDB 1.6 counts nothing.
  const from = policies.map((rp) => `${q(rp)}./.*/`).join(', ')
  const raw: unknown = await client.queryRaw(`SHOW SERIES EXACT CARDINALITY ON ${q(database)} FROM ${from}`, {
    database,
  })
  for (const s of seriesOf(raw)) if (s.name) out[s.name] = Number(s.values?.[0]?.[0] ?? 0)
  return out
}

/** Shard disk use of one database by retention policy, from SHOW STATS (needs admin rights with auth on). */
async function diskUse(client: InfluxDB, database: string): Promise<Record<string, number>> {
  const raw: unknown = await client.queryRaw(`SHOW STATS FOR 'shard'`)
  const byPolicy: Record<string, number> = {}
  for (const s of seriesOf(raw)) {
    if (s.tags?.['database'] !== database) continue
    const column = s.columns?.indexOf('diskBytes') ?? -1
    const bytes = Number(s.values?.[0]?.[column] ?? 0)
    const rp = s.tags['retentionPolicy'] ?? '?'
    byPolicy[rp] = (byPolicy[rp] ?? 0) + (Number.isFinite(bytes) ? bytes : 0)
  }
  return byPolicy
}

export async function readStatus(client: InfluxDB, database: string): Promise<DatabaseStatus> {
  const exists = (await client.getDatabaseNames()).includes(database)
  const status: DatabaseStatus = {
    database,
    exists,
    retentionPolicies: [],
    continuousQueries: [],
    seriesByMeasurement: {},
    seriesTotal: 0,
    diskBytes: null,
    diskBytesByPolicy: {},
    diskError: null,
  }
  if (!exists) return status
  status.retentionPolicies = (await client.showRetentionPolicies(database)).map((p) => ({
    name: p.name,
    duration: p.duration,
    default: p.default,
    managed: p.name.startsWith(MANAGED_PREFIX),
  }))
  status.continuousQueries = (await continuousQueriesOf(client, database)).map((q) => ({
    name: q.name,
    query: q.query,
    managed: q.name.startsWith(MANAGED_PREFIX),
  }))
  status.seriesByMeasurement = await seriesByMeasurement(
    client,
    database,
    status.retentionPolicies.map((p) => p.name),
  )
  status.seriesTotal = Object.values(status.seriesByMeasurement).reduce((a, b) => a + b, 0)
  try {
    status.diskBytesByPolicy = await diskUse(client, database)
    status.diskBytes = Object.values(status.diskBytesByPolicy).reduce((a, b) => a + b, 0)
  } catch (err) {
    status.diskError = influxErrorText(err)
  }
  return status
}
