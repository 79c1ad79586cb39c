import type { InfluxDB } from 'influx'

/**
 * The continuous queries of one database. Not the package's showContinousQueries(): SHOW CONTINUOUS
 * QUERIES answers one series per database and the package flattens them all into one list, so another
 * database's queries would look like this one's.
 */
export async function continuousQueriesOf(
  client: InfluxDB,
  database: string,
): Promise<{ name: string; query: string }[]> {
  const raw = (await client.queryRaw('SHOW CONTINUOUS QUERIES', { database })) as {
    results?: { error?: string; series?: { name?: string; columns?: string[]; values?: unknown[][] }[] }[]
  }
  const result = raw.results?.[0]
  if (result?.error) throw new Error(result.error)
  const series = result?.series?.find((s) => s.name === database)
  const name = series?.columns?.indexOf('name') ?? 0
  const query = series?.columns?.indexOf('query') ?? 1
  return (series?.values ?? []).map((row) => ({ name: String(row[name]), query: String(row[query]) }))
}
