import { parseArgs } from 'node:util'
import { configPathFrom } from '../cli/args.js'
import { errorLine, usageText } from '../cli/cli-error.js'
import { loadConfig } from '../config/load.js'
import { FileErrors } from '../core/file-errors.js'
import { adminClientFor, influxErrorText } from './admin-client.js'
import { goDurationMs } from './durations.js'
import { planFor } from './plan.js'
import { reconcile } from './reconcile.js'
import { type DatabaseStatus, readStatus } from './status.js'

const USAGE = 'usage: tidegate influx status [--config FILE] [--json]\n'

/** Where the command writes (the process's streams; tests read it in-process). */
export interface CommandOutput {
  stdout(text: string): void
  stderr(text: string): void
}

const processOutput: CommandOutput = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
}

/** Exit codes: 0 all well; 1 InfluxDB could not be asked (the reason on stderr); 3 asked, but something needs attention. */
export const EXIT_UNREADABLE = 1
export const EXIT_ATTENTION = 3

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`
}

/** `8760h0m0s` → `365d`, `0s` → `INF` (as an operator wrote it in the config). */
function shownDuration(go: string): string {
  const ms = goDurationMs(go)
  if (ms === 0) return 'INF'
  const hours = ms / 3_600_000
  if (Number.isInteger(hours / 24)) return `${hours / 24}d`
  return Number.isInteger(hours) ? `${hours}h` : go
}

export interface StatusReport extends DatabaseStatus {
  url: string
  maxSeries: number | null
  /** What a reconciliation would change now (empty: the database matches the config). */
  pendingChanges: string[]
}

export function formatReport(r: StatusReport): string {
  const lines = [`database  ${r.database} at ${r.url}`]
  const byRp = Object.entries(r.diskBytesByPolicy).map(([rp, b]) => `${rp} ${size(b)}`)
  lines.push(
    r.diskBytes === null
      ? `disk      unknown (${r.diskError ?? 'not reported'})`
      : `disk      ${size(r.diskBytes)}${byRp.length ? ` (${byRp.join(', ')})` : ''}`,
  )
  lines.push('retention policies')
  for (const p of r.retentionPolicies)
    lines.push(
      `  ${p.name}  ${shownDuration(p.duration)}${p.default ? '  default' : ''}${p.managed ? '  (tidegate)' : ''}`,
    )
  lines.push(`continuous queries${r.continuousQueries.length ? '' : ': none'}`)
  for (const q of r.continuousQueries)
    lines.push(`  ${q.name}${q.managed ? '  (tidegate)' : ''}\n    ${q.query}`)
  const limit =
    r.maxSeries === null ? '' : ` (maxSeries ${r.maxSeries}${r.seriesTotal > r.maxSeries ? ': ABOVE' : ''})`
  lines.push(`series    ${r.seriesTotal}${limit}`)
  for (const [m, n] of Object.entries(r.seriesByMeasurement).sort((a, b) => b[1] - a[1]))
    lines.push(`  ${m}  ${n}`)
  lines.push(
    r.pendingChanges.length === 0
      ? 'config    applied (the database matches it)'
      : `config    not applied yet:\n${r.pendingChanges.map((c) => `  would be ${c}`).join('\n')}`,
  )
  return `${lines.join('\n')}\n`
}

/** `tidegate influx status`: what InfluxDB holds for the configured database, and whether it matches the config. */
export async function runInfluxCommand(argv: string[], io: CommandOutput = processOutput): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { config: { type: 'string', short: 'c' }, json: { type: 'boolean' } },
    allowPositionals: true,
    strict: true,
  })
  if (positionals[0] !== 'status' || positionals.length > 1) {
    io.stderr(usageText('influx takes one command: status', USAGE))
    return 2
  }
  const file = configPathFrom(values)
  let influx: ReturnType<typeof loadConfig>['config']['influx']
  try {
    influx = loadConfig(file).config.influx
  } catch (err) {
    if (err instanceof FileErrors) {
      io.stderr(`config is invalid:\n${err.message}\n`)
      return EXIT_UNREADABLE
    }
    throw err
  }
  if (influx.api === 'v2') {
    const why =
      'influx status: api v2 is not managed by tidegate (bucket retention and tasks live in InfluxDB itself: docs/influx.md)'
    io.stderr(`${errorLine('TG_CLI_NOT_MANAGED', why)}\n`)
    return EXIT_UNREADABLE
  }
  const client = adminClientFor(influx)
  let report: StatusReport
  try {
    const status = await readStatus(client, influx.database)
    if (!status.exists) {
      const why = `influx status: database "${influx.database}" does not exist at ${influx.url}`
      io.stderr(`${errorLine('TG_CLI_NOT_MANAGED', why)}\n`)
      return EXIT_UNREADABLE
    }
    const pendingChanges = await reconcile(client, planFor(influx), { createDatabase: true, dryRun: true })
    report = { ...status, url: influx.url, maxSeries: influx.maxSeries ?? null, pendingChanges }
  } catch (err) {
    io.stderr(
      `${errorLine('TG_CLI_UNREACHABLE', `influx status: cannot read ${influx.url}: ${influxErrorText(err)}`)}\n`,
    )
    return EXIT_UNREADABLE
  }
  io.stdout(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report))
  const over = report.maxSeries !== null && report.seriesTotal > report.maxSeries
  return over || report.pendingChanges.length > 0 ? EXIT_ATTENTION : 0
}
