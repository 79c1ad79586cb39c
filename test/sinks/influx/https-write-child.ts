// Run by http-client.test.ts in its own process, so that NODE_EXTRA_CA_CERTS (read once, at start) decides
// what this process trusts. Writes one line through InfluxHttpClient before the database exists (InfluxDB's
// 404 shows the TLS connection was made), then creates it, writes again and counts the points.
// Prints one JSON line: { first, second, count } or { error } when the first write fails.
import { InfluxHttpClient } from '../../../src/sinks/influx/http-client.js'

const [url = '', database = ''] = process.argv.slice(2)
const client = new InfluxHttpClient({ url, database, timeoutMs: 5000 })

async function firstWrite(): Promise<{ status: number } | { error: string }> {
  try {
    return { status: (await client.write('m v=1 1000')).status }
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    return { error: `${e.code ?? ''} ${e.message}`.trim() }
  }
}

const first = await firstWrite()
if ('error' in first) {
  console.log(JSON.stringify(first))
} else {
  await client.createDatabase()
  const second = (await client.write('m v=1 1000')).status
  const r = (await client.query('SELECT count(v) FROM m')) as {
    results: { series?: { values: [string, number][] }[] }[]
  }
  console.log(
    JSON.stringify({ first: first.status, second, count: r.results[0]?.series?.[0]?.values[0]?.[1] ?? 0 }),
  )
}
