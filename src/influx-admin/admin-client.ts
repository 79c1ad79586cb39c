import { InfluxDB } from 'influx'
import { toMs } from '../core/duration.js'
import type { InfluxSection } from './plan.js'

/**
 * The `influx` package's client for admin statements (retention policies, continuous queries, SHOW ...).
 * Writes do not go through it: they stay on the outbox's own client. No retries inside the package: the
 * feature retries a whole reconciliation with its own backoff.
 */
export function adminClientFor(influx: InfluxSection): InfluxDB {
  const url = new URL(influx.url)
  return new InfluxDB({
    host: url.hostname,
    port: url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80,
    protocol: url.protocol === 'https:' ? 'https' : 'http',
    path: url.pathname === '/' ? '' : url.pathname.replace(/\/$/, ''),
    database: influx.database,
    ...(influx.username !== undefined ? { username: influx.username, password: influx.password ?? '' } : {}),
    pool: { maxRetries: 0, requestTimeout: toMs(influx.timeout) },
  })
}

/** The short reason of an `influx` package error: InfluxDB's own `"error"` text when there is one. */
export function influxErrorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err)
  const m = /"error":"((?:[^"\\]|\\.)*)"/.exec(text)
  const status = /^A (\d{3}) /.exec(text)?.[1]
  if (m?.[1]) return status ? `HTTP ${status}: ${m[1].replace(/\\"/g, '"')}` : m[1]
  return text
}
