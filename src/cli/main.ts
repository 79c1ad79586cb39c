#!/usr/bin/env node
import { readFileSync } from 'node:fs'
import { runCheck } from './check.js'
import { describeUncaught, usageText } from './cli-error.js'
import { runJournal } from './journal.js'
import { runPasswd } from './passwd.js'
import { runReplayCommand } from './replay.js'
import { runGateway } from './run.js'

const HELP = `tidegate — IoT edge gateway

Usage:
  tidegate run   [--config FILE]   start the gateway (default config: config/gateway.yaml)
  tidegate check [--config FILE] [--json]   validate config, device catalog and rules; exit 1 listing every error
  tidegate command <device> <name> '<json>'   send a command through the gateway, print its outcome
  tidegate replay [...] <recording> run rules over recorded traffic on a virtual clock (docs/replay.md)
  tidegate journal export [...]    write journal records as JSON lines (see docs/replay.md)
  tidegate influx status [--config FILE] [--json]   retention policies, continuous queries, series, disk
  tidegate passwd                 read a password on stdin, print its hash for mqtt.auth.users
  tidegate --help | --version

The config path may also come from TIDEGATE_CONFIG. Any config value can be overridden with
TIDEGATE_<SECTION>__<KEY>=value (see docs/config.md).
`

/** package.json sits two levels up from src/cli, three from dist/src/cli. */
function version(): string {
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      return (
        JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name: string; version: string }
      ).version
    } catch {
      // try the next layout
    }
  }
  return 'unknown'
}

/** Subcommands register here: name → handler(argv) returning an exit code. */
const commands: Record<string, (argv: string[]) => Promise<number>> = {
  run: runGateway,
  check: runCheck,
  // Loaded on use: the MQTT client library is not needed by the other subcommands.
  command: async (argv) => (await import('./command.js')).runCommand(argv),
  journal: runJournal,
  replay: runReplayCommand,
  passwd: runPasswd,
  influx: async (argv) => (await import('../influx-admin/status-command.js')).runInfluxCommand(argv),
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP)
    return 0
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`${version()}\n`)
    return 0
  }
  const handler = commands[command]
  if (!handler) {
    process.stderr.write(usageText(`unknown command "${command}"`, HELP))
    return 2
  }
  return handler(rest)
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    // A bad option is a usage error (exit 2, like an unknown command); anything else failed running.
    const { text, exitCode } = describeUncaught(err)
    process.stderr.write(`${text}\n`)
    if (exitCode === 2) process.stderr.write('run "tidegate --help" for usage\n')
    process.exitCode = exitCode
  },
)
