import { createHash } from 'node:crypto'
import { escape as influxEscape } from 'influx'
import type { GatewayConfig } from '../config/schema.js'
import type { DownsampleEntry } from './config-schema.js'
import { influxKeep, keepMs } from './durations.js'

/**
 * What the config asks of the database, as names and InfluxQL. Everything tidegate creates is named
 * with MANAGED_PREFIX: reconciliation only ever alters or drops names with that prefix, so retention
 * policies and continuous queries made by hand or by other tools are never touched.
 */
export const MANAGED_PREFIX = 'tidegate_'
/** The default retention policy that `influx.retention` manages (raw points). */
export const RAW_POLICY = `${MANAGED_PREFIX}raw`

export type InfluxSection = GatewayConfig['influx']

export interface PolicyPlan {
  name: string
  /** InfluxQL duration (`30d`, `1095d`). */
  duration: string
  durationMs: number
  isDefault: boolean
}

export interface QueryPlan {
  /** `tidegate_<measurement>_<every>_<hash>`: the hash covers the whole query, so a changed entry gets a new name. */
  name: string
  /** The SELECT ... INTO ... GROUP BY body (without CREATE ... BEGIN/END). */
  body: string
  target: string
}

export interface AdminPlan {
  database: string
  policies: PolicyPlan[]
  downsample: readonly DownsampleEntry[]
  /** Policy the raw points are read from; null: the database's default policy, looked up when applying. */
  source: string | null
}

/** Retention policy holding the points downsampled to be kept for `keep`. */
export function downsamplePolicy(keep: string): string {
  return `${MANAGED_PREFIX}${keep}`
}

function queryBody(database: string, source: string, entry: DownsampleEntry): string {
  const q = influxEscape.quoted
  const select = Object.entries(entry.fields)
    .map(([field, agg]) => `${agg}(${q(field)}) AS ${q(field)}`)
    .join(', ')
  const into = `${q(database)}.${q(downsamplePolicy(entry.keep))}.${q(entry.measurement)}`
  const from = `${q(database)}.${q(source)}.${q(entry.measurement)}`
  // GROUP BY * keeps every tag (device, zone, ...) as a tag of the downsampled point.
  return `SELECT ${select} INTO ${into} FROM ${from} GROUP BY time(${entry.every}), *`
}

/** A name InfluxDB accepts unquoted in SHOW output and that an operator can read: letters, digits, _. */
function namePart(text: string): string {
  return text.replace(/[^A-Za-z0-9_]/g, '_')
}

export function planFor(influx: InfluxSection): AdminPlan {
  const database = influx.database
  const policies: PolicyPlan[] = []
  if (influx.retention)
    policies.push({
      name: RAW_POLICY,
      duration: influxKeep(influx.retention),
      durationMs: keepMs(influx.retention),
      isDefault: true,
    })
  for (const keep of new Set(influx.downsample.map((d) => d.keep)))
    policies.push({
      name: downsamplePolicy(keep),
      duration: influxKeep(keep),
      durationMs: keepMs(keep),
      isDefault: false,
    })
  // Where the raw points are: the write policy, or the managed raw one, or (null) the default policy.
  // InfluxDB binds `db..m` to the default of the moment a query is created, so the name is spelled out.
  const source = influx.retentionPolicy ?? (influx.retention ? RAW_POLICY : null)
  return { database, policies, downsample: influx.downsample, source }
}

/** The continuous queries of a plan reading raw points from `source`. */
export function queriesFor(plan: AdminPlan, source: string): QueryPlan[] {
  return plan.downsample.map((entry) => {
    const body = queryBody(plan.database, source, entry)
    const hash = createHash('sha256').update(body).digest('hex').slice(0, 8)
    return {
      name: `${MANAGED_PREFIX}${namePart(entry.measurement)}_${entry.every}_${hash}`,
      body,
      target: `${downsamplePolicy(entry.keep)}.${entry.measurement}`,
    }
  })
}
