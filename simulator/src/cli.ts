import { parseArgs } from 'node:util'
import { CliError } from '../../src/cli/cli-error.js'
import { toMs } from '../../src/core/duration.js'
import { FileErrors } from '../../src/core/file-errors.js'
import { loadScenarioFile } from './scenario.js'
import { FAULT_KINDS, type FaultKindName } from './scenario-schema.js'
import { Simulator } from './simulator.js'

export const SIM_HELP = `tidegate-sim — simulated devices for tidegate (or any MQTT broker)

Usage:
  tidegate-sim [options]
  npm run simulate -- [options]

Options:
  --url URL            broker URL (default mqtt://127.0.0.1:1883)
  --scenario FILE      scenario YAML (default simulator/scenarios/greenhouse.yaml)
  --devices N          total sensor devices (scenario groups scaled proportionally)
  --rate MSGS_PER_S    total messages per second (overrides device intervals)
  --duration SECONDS   stop after this long (default: run until Ctrl-C)
  --seed N             random seed (default: the scenario's)
  --fault KIND[@SEC][:DEVICES]  inject a fault (repeatable), e.g. duplicate@5:north-climate-1
                       kinds: ${FAULT_KINDS.join(', ')}
  --no-events          ignore the scenario's timed events
  --quiet              only the final summary
  --help
`

interface FaultFlag {
  fault: FaultKindName
  atMs: number
  devices: string
}

function parseFault(text: string): FaultFlag {
  const m = /^([a-z_]+)(?:@([\d.]+))?(?::(.+))?$/.exec(text)
  const kind = m?.[1] as FaultKindName | undefined
  if (!m || !kind || !FAULT_KINDS.includes(kind))
    throw new CliError(
      'TG_CLI_USAGE',
      `--fault "${text}": expected KIND[@SECONDS][:DEVICES] with KIND one of ${FAULT_KINDS.join(', ')}`,
    )
  return { fault: kind, atMs: m[2] ? Number(m[2]) * 1000 : 0, devices: m[3] ?? '*' }
}

function positive(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isFinite(n) || n < 0)
    throw new CliError('TG_CLI_USAGE', `--${name} must be a non-negative number, got "${v}"`)
  return n
}

/** The simulator CLI; returns an exit code. */
export async function runSimulatorCli(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string', default: 'mqtt://127.0.0.1:1883' },
      scenario: { type: 'string', default: 'simulator/scenarios/greenhouse.yaml' },
      devices: { type: 'string' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      seed: { type: 'string' },
      fault: { type: 'string', multiple: true, default: [] },
      'no-events': { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  })
  if (values.help) {
    process.stdout.write(SIM_HELP)
    return 0
  }
  let scenario: ReturnType<typeof loadScenarioFile>
  try {
    scenario = loadScenarioFile(values.scenario)
  } catch (err) {
    if (err instanceof FileErrors) {
      process.stderr.write(`${err.message}\n`)
      return 1
    }
    throw err
  }
  const faults = values.fault.map(parseFault)
  const log = values.quiet ? undefined : (line: string) => process.stdout.write(`[sim] ${line}\n`)
  const sim = new Simulator({
    url: values.url,
    scenario,
    seed: positive('seed', values.seed),
    devices: positive('devices', values.devices),
    rate: positive('rate', values.rate),
    events: !values['no-events'],
    log,
  })
  const started = Date.now()
  await sim.start()
  log?.(`${scenario.name}: ${sim.deviceIds.length} devices connected to ${values.url} (seed ${sim.seed})`)
  sim.onCommand((c) =>
    log?.(`command ${c.name} for ${c.device}: ${c.payload.toString('utf8').slice(0, 200)}`),
  )
  const timers = faults.map((f) =>
    setTimeout(() => {
      sim.inject(f).catch((err: unknown) => log?.(`fault ${f.fault} failed: ${(err as Error).message}`))
    }, f.atMs),
  )
  const progress = setInterval(() => log?.(summary(sim, started)), 5000)
  const durationMs = values.duration ? toMs(`${positive('duration', values.duration)}s`) : undefined
  await new Promise<void>((resolve) => {
    if (durationMs !== undefined) setTimeout(resolve, durationMs)
    process.once('SIGINT', () => resolve())
    process.once('SIGTERM', () => resolve())
  })
  clearInterval(progress)
  for (const t of timers) clearTimeout(t)
  await sim.stop()
  process.stdout.write(`${summary(sim, started)}\n`)
  return 0
}

function summary(sim: Simulator, started: number): string {
  const s = sim.stats
  const secs = (Date.now() - started) / 1000
  return (
    `sent ${s.sent} (${Math.round(s.sent / Math.max(secs, 0.001))} msg/s), acked ${s.acked}, failed ${s.failed}, ` +
    `commands received ${s.commands}, acks sent ${s.acks}, faults ${s.faults}, reconnects ${s.reconnects}, ` +
    `${secs.toFixed(1)} s`
  )
}
