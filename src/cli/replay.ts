import { statSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import mqtt from 'mqtt'
import { commandTopic } from '../commands/command-topics.js'
import { loadConfig } from '../config/load.js'
import { toMs } from '../core/duration.js'
import type { ErrorCode } from '../core/error-codes.js'
import { formatFileError } from '../core/file-errors.js'
import { loadCatalog } from '../devices/catalog.js'
import { journalDir } from '../journal/extension.js'
import { readJournal } from '../journal/reader.js'
import { journalInputs, type ReplayInput, readRecording } from '../journal/recording.js'
import { diffAlerts, formatDiff } from '../replay/diff.js'
import { type ReplayOutcome, toJsonLines, toTable } from '../replay/outcome.js'
import { ingestFor } from '../replay/replay-ingest.js'
import { runReplay } from '../replay/run.js'
import { loadRulesDir } from '../rules/index.js'
import { configPathFrom } from './args.js'
import { errorLine, usageText } from './cli-error.js'
import { journalFilterFrom } from './journal.js'

const USAGE = `Usage: tidegate replay [--config FILE] [--rules DIR] [--catalog DIR] [options] <recording>

<recording> is a JSON-lines file ({"ts","topic","payload"} per line, or 'tidegate journal export' output),
a journal folder, or the word 'journal' for the configured journal.
  --from T --to T --device ID --type NAME   filter journal input (T: epoch ms, ISO date, -2h)
  --format table|json                       output (default table)
  --speed N                                 N× real time (default: as fast as possible)
  --tail DURATION                           virtual time to run past the last input (default 0s)
  --shadow                                  include shadow rules' alerts
  --diff DIR                                compare the rules of --rules (or config) with DIR
  --publish mqtt://host:port                send the alerts and commands to a broker (side effects!)
Exit: 0 nothing fired (or no difference with --diff), 1 something fired (a difference), 2 bad input.
`

function readInputs(
  recording: string,
  journal: string,
  values: Parameters<typeof journalFilterFrom>[0],
): ReplayInput[] {
  const path = recording === 'journal' ? journal : recording
  if (statSync(path).isDirectory()) return journalInputs(readJournal(path, journalFilterFrom(values)))
  const { inputs, problems } = readRecording(path)
  for (const p of problems)
    process.stderr.write(`${path}:${p.line} ${errorLine('TG_REPLAY_INPUT', p.message)}\n`)
  return inputs
}

function usageError(message: string, code: ErrorCode = 'TG_CLI_USAGE'): number {
  process.stderr.write(`${errorLine(code, message)}\n`)
  return 2
}

export async function runReplayCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      rules: { type: 'string' },
      catalog: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      device: { type: 'string', multiple: true },
      type: { type: 'string', multiple: true },
      format: { type: 'string', default: 'table' },
      speed: { type: 'string' },
      tail: { type: 'string', default: '0s' },
      shadow: { type: 'boolean', default: false },
      diff: { type: 'string' },
      publish: { type: 'string' },
    },
  })
  const recording = positionals[0]
  if (!recording || (values.format !== 'table' && values.format !== 'json')) {
    const problem = recording
      ? `--format must be table or json, not "${values.format}"`
      : 'a recording is required'
    process.stderr.write(usageText(problem, USAGE))
    return 2
  }
  const { config } = loadConfig(configPathFrom(values))
  const catalogDir = resolve(values.catalog ?? config.catalog)
  const { catalog, errors: catalogErrors } = loadCatalog(catalogDir)
  const rulesA = await loadRulesDir(resolve(values.rules ?? config.rules))
  const rulesB = values.diff ? await loadRulesDir(resolve(values.diff)) : null
  const fileErrors = [...catalogErrors, ...rulesA.errors, ...(rulesB?.errors ?? [])]
  if (fileErrors.length) {
    for (const e of fileErrors) process.stderr.write(`${formatFileError(e)}\n`)
    return 2
  }
  const registryFile = config.devices.registry
    ? resolve(config.devices.registry)
    : resolve(catalogDir, 'registry.yaml')
  const ingest = ingestFor(catalog, registryFile, config)
  // Bad input is exit 2 with a plain message, never a stack trace.
  const speed = values.speed === undefined ? 0 : Number(values.speed)
  if (!Number.isFinite(speed) || speed < 0)
    return usageError(`--speed must be a number >= 0, not "${values.speed}"`)
  let tailMs: number
  try {
    tailMs = toMs(values.tail as string)
  } catch {
    return usageError(`--tail must be a duration such as 30s or 5m, not "${values.tail}"`)
  }
  let inputs: ReplayInput[]
  try {
    inputs = readInputs(recording, journalDir({ config, path: (p) => resolve(p) }), values)
  } catch (err) {
    return usageError(`cannot read ${recording}: ${(err as Error).message}`, 'TG_REPLAY_INPUT')
  }
  const common = { ...ingest, tailMs, speed, includeShadow: values.shadow }

  if (rulesB) {
    const a = await runReplay(inputs, { ...common, rules: rulesA.rules })
    const b = await runReplay(inputs, { ...common, rules: rulesB.rules })
    const diff = diffAlerts(a.outcomes, b.outcomes)
    process.stdout.write(
      values.format === 'json' ? diff.map((d) => `${JSON.stringify(d)}\n`).join('') : formatDiff(diff),
    )
    return diff.length > 0 ? 1 : 0
  }

  const publisher = values.publish ? mqtt.connect(values.publish, { reconnectPeriod: 0 }) : null
  const result = await runReplay(inputs, {
    ...common,
    rules: rulesA.rules,
    onOutcome: publisher ? (o) => publishOutcome(publisher, o) : undefined,
  })
  process.stdout.write(values.format === 'json' ? toJsonLines(result.outcomes) : toTable(result.outcomes))
  const dead = Object.entries(result.deadLetters)
  process.stderr.write(
    `replayed ${result.events} event(s) from ${inputs.length} input(s); ${result.outcomes.length} outcome(s)` +
      `${dead.length ? `; dead letters: ${dead.map(([k, v]) => `${k}=${v}`).join(', ')}` : ''}` +
      `${result.ruleErrors ? `; rule errors: ${result.ruleErrors}` : ''}\n`,
  )
  if (publisher) await publisher.endAsync()
  return result.outcomes.some((o) => o.kind === 'command' || (o.kind === 'alert' && o.state === 'firing'))
    ? 1
    : 0
}

function publishOutcome(client: mqtt.MqttClient, o: ReplayOutcome): void {
  const topic = o.kind === 'alert' ? `alerts/${o.rule}/${o.key}` : commandTopic(o.device, o.name)
  client.publish(topic, JSON.stringify(o), { qos: 1 })
}
