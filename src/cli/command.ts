import { randomUUID } from 'node:crypto'
import { parseArgs } from 'node:util'
import mqtt, { type MqttClient } from 'mqtt'
import type { CommandOutcome } from '../commands/command-outcome.js'
import { isFinal } from '../commands/command-outcome.js'
import { operatorSource, resultTopic } from '../commands/command-topics.js'
import { loadConfig } from '../config/load.js'
import { toMs } from '../core/duration.js'
import { FileErrors } from '../core/file-errors.js'
import { configPathFrom } from './args.js'
import { errorLine, usageText } from './cli-error.js'

export const COMMAND_HELP = `Usage: tidegate command <device> <name> ['<json params>'] [options]

Sends a command through the running gateway (validated against the device type, tracked until the
device acks it) and prints each step. Exit code: 0 acked, 1 refused/failed/timed out, 2 usage error.

Options:
  --config FILE       gateway config; its first tcp listener is the broker to use (default config/gateway.yaml)
  --url URL           broker URL instead, e.g. mqtt://10.0.0.2:1883
  --username NAME     MQTT credentials (an operator user of mqtt.auth.users)
  --password PASS     (or TIDEGATE_PASSWORD)
  --wait DURATION     how long to wait for the final outcome (default 60s)
  --json              print each outcome as a JSON line
`

/** One line for an operator. */
export function describeOutcome(o: CommandOutcome): string {
  const what = `${o.name} → ${o.device}`
  switch (o.status) {
    case 'refused':
      return `refused: ${o.reason ?? 'no reason given'}`
    case 'queued':
      return `queued ${o.id}: ${what} (device offline; sent when it comes online)`
    case 'sent':
      return `sent ${o.id}: ${what} (attempt ${o.attempt})`
    case 'acked':
      return `acked ${o.id} in ${o.latencyMs ?? '?'} ms`
    case 'failed':
      return `failed ${o.id}: device answered error: ${o.reason ?? ''}`
    case 'timeout':
    case 'expired':
      return `${o.status} ${o.id}: ${o.reason ?? ''}`
  }
}

function brokerUrl(configFile: string): string {
  const { config } = loadConfig(configFile)
  const tcp = config.mqtt.listeners.find((l) => l.type === 'tcp')
  if (!tcp) throw new Error(`${configFile}: no tcp listener in mqtt.listeners; pass --url`)
  const host = tcp.host === '0.0.0.0' || tcp.host === '::' ? '127.0.0.1' : tcp.host
  return `mqtt://${host.includes(':') ? `[${host}]` : host}:${tcp.port}`
}

export async function runCommand(
  argv: string[],
  out: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
  err: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<number> {
  let parsed: ReturnType<typeof parse>
  try {
    parsed = parse(argv)
  } catch (e) {
    err(usageText((e as Error).message, COMMAND_HELP))
    return 2
  }
  const { values, positionals } = parsed
  if (values.help) {
    out(COMMAND_HELP)
    return 0
  }
  const [device, name, json = '{}'] = positionals
  if (!device || !name || positionals.length > 3) {
    err(usageText('give a device, a command name and optionally its JSON params', COMMAND_HELP))
    return 2
  }
  let params: unknown
  try {
    params = JSON.parse(json)
  } catch (e) {
    err(errorLine('TG_CLI_USAGE', `params are not JSON: ${(e as Error).message}`))
    return 2
  }
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    err(errorLine('TG_CLI_USAGE', 'params must be a JSON object, e.g. \'{"on":true}\''))
    return 2
  }
  let url: string
  let waitMs: number
  try {
    url = values.url ?? brokerUrl(configPathFrom(values))
    waitMs = toMs(values.wait ?? '60s')
  } catch (e) {
    err(e instanceof FileErrors ? e.message : errorLine('TG_CLI_USAGE', (e as Error).message))
    return 2
  }
  const clientId = `tidegate-cli-${randomUUID().slice(0, 8)}`
  let client: MqttClient
  try {
    client = await mqtt.connectAsync(url, {
      clientId,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      username: values.username,
      password: values.password ?? process.env['TIDEGATE_PASSWORD'],
    })
  } catch (e) {
    err(errorLine('TG_CLI_UNREACHABLE', `cannot connect to ${url}: ${(e as Error).message}`))
    return 1
  }
  try {
    return await exchange(
      client,
      { device, name, params, clientId, waitMs, json: values.json === true },
      out,
      err,
    )
  } finally {
    await client.endAsync()
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      url: { type: 'string' },
      username: { type: 'string', short: 'u' },
      password: { type: 'string', short: 'P' },
      wait: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  })
}

/** Publishes the request and prints the outcomes addressed to this CLI until a final one arrives. */
async function exchange(
  client: MqttClient,
  req: { device: string; name: string; params: object; clientId: string; waitMs: number; json: boolean },
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  const mine = operatorSource(req.clientId)
  const final = new Promise<CommandOutcome | null>((resolve) => {
    const timer = setTimeout(() => resolve(null), req.waitMs)
    client.on('message', (_topic, payload) => {
      let o: CommandOutcome
      try {
        o = JSON.parse(payload.toString('utf8')) as CommandOutcome
      } catch {
        return
      }
      if (o.source !== mine) return
      out(req.json ? JSON.stringify(o) : describeOutcome(o))
      if (isFinal(o.status)) {
        clearTimeout(timer)
        resolve(o)
      }
    })
  })
  await client.subscribeAsync(resultTopic(req.device, req.name), { qos: 1 })
  await client.publishAsync(`tidegate/commands/${req.device}/${req.name}`, JSON.stringify(req.params), {
    qos: 1,
  })
  const outcome = await final
  if (!outcome) {
    err(
      errorLine(
        'TG_CLI_NO_OUTCOME',
        `no final outcome within ${req.waitMs} ms (is the gateway running, and may this user publish tidegate/commands/#?)`,
      ),
    )
    return 1
  }
  return outcome.status === 'acked' ? 0 : 1
}
