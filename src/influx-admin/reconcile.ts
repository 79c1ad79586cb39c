import type { InfluxDB } from 'influx'
import { goDurationMs } from './durations.js'
import { type AdminPlan, MANAGED_PREFIX, queriesFor, RAW_POLICY } from './plan.js'
import { continuousQueriesOf } from './queries.js'

export interface ReconcileOptions {
  /** `influx.createDatabase`: create a missing database (else a missing database is an error). */
  createDatabase: boolean
  /** Only say what would change (`tidegate influx status`), change nothing. */
  dryRun?: boolean
}

const managed = (name: string) => name.startsWith(MANAGED_PREFIX)

/**
 * Brings the database to the plan and returns what it changed (empty when nothing had to change).
 * Only names with the managed prefix are altered or dropped. Order matters: stale continuous queries go
 * first (they may write into a policy about to go), policies exist before the queries that write into them.
 */
export async function reconcile(
  client: InfluxDB,
  plan: AdminPlan,
  options: ReconcileOptions,
): Promise<string[]> {
  const db = plan.database
  const dry = options.dryRun === true
  const changes: string[] = []
  const names = await client.getDatabaseNames()
  if (!names.includes(db)) {
    if (!options.createDatabase && !dry)
      throw new Error(`database "${db}" does not exist (influx.createDatabase is false)`)
    changes.push(`created database ${db}`)
    if (dry) return changes
    await client.createDatabase(db)
  }

  const existingPolicies = new Map((await client.showRetentionPolicies(db)).map((p) => [p.name, p]))
  const currentDefault = [...existingPolicies.values()].find((p) => p.default)?.name ?? 'autogen'
  const queries = queriesFor(plan, plan.source ?? currentDefault)
  const wantedQueries = new Set(queries.map((q) => q.name))
  const existingQueries = new Set((await continuousQueriesOf(client, db)).map((q) => q.name))
  for (const name of existingQueries) {
    if (!managed(name) || wantedQueries.has(name)) continue
    if (!dry) await client.dropContinuousQuery(name, db)
    changes.push(`dropped continuous query ${name}`)
  }

  for (const p of plan.policies) {
    const now = existingPolicies.get(p.name)
    const rpOptions = {
      database: db,
      duration: p.duration,
      replication: now?.replicaN ?? 1,
      isDefault: p.isDefault,
    }
    const what = `retention policy ${p.name} (${p.duration}${p.isDefault ? ', default' : ''})`
    if (!now) {
      if (!dry) await client.createRetentionPolicy(p.name, rpOptions)
      changes.push(`created ${what}`)
    } else if (goDurationMs(now.duration) !== p.durationMs || (p.isDefault && !now.default)) {
      if (!dry) await client.alterRetentionPolicy(p.name, rpOptions)
      changes.push(`altered ${what}`)
    }
  }

  for (const q of queries) {
    if (existingQueries.has(q.name)) continue
    if (!dry) await client.createContinuousQuery(q.name, q.body, db)
    changes.push(`created continuous query ${q.name} → ${q.target}`)
  }

  const wantedPolicies = new Set(plan.policies.map((p) => p.name))
  for (const [name, now] of existingPolicies) {
    if (!managed(name) || wantedPolicies.has(name)) continue
    if (name === RAW_POLICY) {
      // Raw points are never deleted because a key went away: the policy stops expiring them instead.
      if (goDurationMs(now.duration) !== 0) {
        if (!dry)
          await client.alterRetentionPolicy(name, {
            database: db,
            duration: 'INF',
            replication: now.replicaN,
          })
        changes.push(`altered retention policy ${name} (INF: influx.retention is no longer set)`)
      }
      continue
    }
    if (!dry) await client.dropRetentionPolicy(name, db)
    changes.push(`dropped retention policy ${name}`)
  }
  return changes
}
