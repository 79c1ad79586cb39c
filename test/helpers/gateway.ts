import { randomUUID } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inject } from 'vitest'
import { configFromObject } from '../../src/config/load.js'
import type { GatewayConfig } from '../../src/config/schema.js'
import type { ExtensionFactory } from '../../src/extension.js'
import { Gateway } from '../../src/gateway.js'
import { createLogger, type Logger } from '../../src/observability/logger.js'
import { InfluxHttpClient } from '../../src/sinks/influx/http-client.js'

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] }

/** A fresh database name per test so tests share one influxd without seeing each other's data. */
export function uniqueDatabase(): string {
  return `t_${randomUUID().replace(/-/g, '').slice(0, 16)}`
}

/** A gateway on free ports (port 0), the shared test influxd, its own database; started. */
export async function startTestGateway(
  overrides: Record<string, unknown> = {},
  /** Features other than the default list (e.g. one built with test timings), a logger to read. */
  options: { extensions?: ExtensionFactory[]; logger?: Logger } = {},
): Promise<{
  gateway: Gateway
  config: Readonly<GatewayConfig>
  mqttUrl: string
  influx: InfluxHttpClient
}> {
  const database = uniqueDatabase()
  const base = {
    mqtt: { listeners: [{ host: '127.0.0.1', port: 0 }] },
    influx: { url: inject('influxUrl'), database, flushInterval: '100ms' },
    http: { host: '127.0.0.1', port: 0 },
    catalog: './devices',
    rules: './rules',
    log: { level: 'silent' },
    // Each test gateway keeps its durable state (outbox, journal) in its own temp folder.
    dataDir: mkdtempSync(join(tmpdir(), 'tidegate-test-')),
  }
  const config = configFromObject(merge(base, overrides))
  const gateway = new Gateway({
    config,
    logger: options.logger ?? createLogger(config.log.level, false),
    ...(options.extensions ? { extensions: options.extensions } : {}),
  })
  await gateway.start()
  const listener = gateway.broker.listeners[0]
  if (!listener) throw new Error('no listener')
  return {
    gateway,
    config,
    mqttUrl: `mqtt://127.0.0.1:${listener.port}`,
    influx: new InfluxHttpClient({
      url: config.influx.url,
      database: config.influx.database,
      timeoutMs: 10_000,
    }),
  }
}

function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a }
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k]
    out[k] =
      v &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      prev &&
      typeof prev === 'object' &&
      !Array.isArray(prev)
        ? merge(prev as Record<string, unknown>, v as Record<string, unknown>)
        : v
  }
  return out
}

/** Polls an InfluxQL query until `ready` says yes or the timeout passes; returns the last rows. */
export async function queryUntil(
  influx: InfluxHttpClient,
  q: string,
  ready: (rows: unknown[][]) => boolean,
  timeoutMs = 5000,
): Promise<{ columns: string[]; rows: unknown[][] }> {
  const until = Date.now() + timeoutMs
  let columns: string[] = []
  let rows: unknown[][] = []
  for (;;) {
    const res = await influx.query(q)
    const series = res.results[0]?.series?.[0]
    columns = series?.columns ?? []
    rows = series?.values ?? []
    if (ready(rows) || Date.now() > until) return { columns, rows }
    await new Promise((r) => setTimeout(r, 50))
  }
}
