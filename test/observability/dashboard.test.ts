import { readFileSync } from 'node:fs'
import { describe, expect, inject, it } from 'vitest'
import { useCleanup } from '../helpers/cleanup.js'
import { startTestGateway, uniqueDatabase } from '../helpers/gateway.js'
import { parsePrometheusText } from './prom-text.js'

interface Target {
  expr?: string
  query?: string
}
interface Panel {
  title: string
  targets?: Target[]
}
const dashboard = JSON.parse(readFileSync('config/grafana/tidegate.json', 'utf8')) as {
  panels: Panel[]
  annotations: { list: { query: string }[] }
  templating: { list: { query: string | { query: string } }[] }
}
const targets = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, ...t })))

const cleanup = useCleanup()

/** Families that exist only once their feature has something to count (serial ports, a first command). */
const OPTIONAL = /^tidegate_(serial_|command_outcomes_total$)/

describe('config/grafana/tidegate.json', () => {
  it('every Prometheus query names a metric family the gateway exports', async () => {
    const { gateway } = await startTestGateway()
    cleanup.push(() => gateway.stop())
    const text = await (await fetch(`http://127.0.0.1:${gateway.http.address.port}/metrics`)).text()
    const families = parsePrometheusText(text)
    const names = new Set(
      targets.flatMap((t) => t.expr?.match(/\b(?:tidegate|process|nodejs)_[a-z0-9_]+/g) ?? []),
    )
    expect(names.size).toBeGreaterThan(20)
    const missing = [...names].filter((n) => !families.has(n) && !OPTIONAL.test(n))
    expect(missing).toEqual([])
  })

  it('every InfluxQL query runs against the measurements the gateway writes', async () => {
    const url = inject('influxUrl')
    const db = uniqueDatabase()
    const q = async (query: string) => {
      const res = await fetch(`${url}/query?db=${db}&q=${encodeURIComponent(query)}`, { method: 'POST' })
      return (await res.json()) as { error?: string; results: { error?: string }[] }
    }
    await q(`CREATE DATABASE ${db}`)
    cleanup.push(async () => void (await q(`DROP DATABASE ${db}`)))
    const influxQueries = [
      ...targets.flatMap((t) => (t.query ? [t.query] : [])),
      ...dashboard.annotations.list.map((a) => a.query),
      ...dashboard.templating.list.flatMap((v) => (typeof v.query === 'string' ? [v.query] : [])),
    ]
    expect(influxQueries.length).toBeGreaterThan(10)
    for (const raw of influxQueries) {
      const query = raw
        .replaceAll('$timeFilter', 'time > now() - 1h')
        .replaceAll('$__interval', '1m')
        .replaceAll('$zone', '.*')
      const r = await q(query)
      expect(r.error ?? r.results[0]?.error ?? null, raw).toBeNull()
    }
  })
})
