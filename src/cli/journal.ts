import { createWriteStream } from 'node:fs'
import { parseArgs } from 'node:util'
import { loadConfig } from '../config/load.js'
import { journalDir } from '../journal/extension.js'
import { type JournalFilter, readJournal } from '../journal/reader.js'
import type { JournalKind } from '../journal/record.js'
import { configPathFrom } from './args.js'
import { usageText } from './cli-error.js'
import { parseTimeArg } from './time-arg.js'

const USAGE = `Usage: tidegate journal export [--config FILE] [--from T] [--to T] [--device ID]... [--type NAME]...
                              [--kind event|alert|command|ack]... [--out FILE]
Writes journal records as JSON lines (stdout by default). T: epoch ms, ISO date, or -2h.
The output replays with: tidegate replay FILE
`

export function journalFilterFrom(values: {
  from?: string
  to?: string
  device?: string[]
  type?: string[]
}): JournalFilter {
  const filter: JournalFilter = {}
  if (values.from) filter.from = parseTimeArg(values.from)
  if (values.to) filter.to = parseTimeArg(values.to)
  if (values.device?.length) filter.devices = new Set(values.device)
  if (values.type?.length) filter.types = new Set(values.type)
  return filter
}

export async function runJournal(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  if (sub !== 'export') {
    process.stderr.write(
      usageText(sub ? `unknown journal command "${sub}"` : 'journal needs a command', USAGE),
    )
    return 2
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      config: { type: 'string', short: 'c' },
      from: { type: 'string' },
      to: { type: 'string' },
      device: { type: 'string', multiple: true },
      type: { type: 'string', multiple: true },
      kind: { type: 'string', multiple: true },
      out: { type: 'string', short: 'o' },
    },
    strict: true,
  })
  const { config } = loadConfig(configPathFrom(values))
  const filter = journalFilterFrom(values)
  if (values.kind?.length) filter.kinds = new Set(values.kind as JournalKind[])
  const out: NodeJS.WritableStream = values.out ? createWriteStream(values.out) : process.stdout
  const stats = { records: 0, corrupt: 0 }
  let written = 0
  const dir = journalDir({ config, path: (p) => p })
  for (const record of readJournal(dir, filter, stats)) {
    if (!out.write(`${JSON.stringify(record)}\n`)) await new Promise((r) => out.once('drain', r))
    written++
  }
  if (out !== process.stdout) await new Promise<void>((resolve) => out.end(resolve))
  process.stderr.write(
    `exported ${written} record(s) from ${dir}${stats.corrupt ? `, ${stats.corrupt} corrupt skipped` : ''}\n`,
  )
  return 0
}
