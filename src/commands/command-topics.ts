import type { CommandDispatcher } from '../core/command.js'
import type { CommandOutcome } from './command-outcome.js'

/** Operators publish JSON params here: `tidegate/commands/<device>/<name>`. */
export const OPERATOR_COMMAND_RE = /^tidegate\/commands\/([^/]+)\/([^/]+)$/
/** Devices answer here: `devices/<device>/acks`. */
export const ACK_RE = /^devices\/([^/]+)\/acks$/

export const commandTopic = (device: string, name: string) => `devices/${device}/commands/${name}`
/** Every step of every command to a device is published here (not retained). */
export const resultTopic = (device: string, name: string) => `tidegate/commands/${device}/${name}/result`

/** The payload on the result topic: the outcome, as JSON. */
export function resultPayload(o: CommandOutcome): string {
  return JSON.stringify(o)
}

/** The source label of a command an MQTT client asked for; the CLI finds its own results by it. */
export const operatorSource = (clientId: string) => `operator:${clientId}`

export interface CommandTopicDeps {
  dispatcher: CommandDispatcher & { acknowledge(device: string, payload: unknown): void }
  /** A refusal that never reached the dispatcher (params not JSON) still gets a result. */
  publishResult: (o: CommandOutcome) => void
  /** An ack is a sign of life of its device. */
  onAckFrom: (device: string) => void
  now: () => number
}

/**
 * Handles publishes on the command topics: acks (from devices, or from the gateway's serial command
 * router, clientId null), and operator commands from clients. Returns true when the topic was one of them.
 */
export function handleCommandTopic(
  deps: CommandTopicDeps,
  topic: string,
  payload: Buffer,
  clientId: string | null,
): boolean {
  const ack = ACK_RE.exec(topic)
  if (ack) {
    const device = ack[1] as string
    deps.onAckFrom(device)
    let parsed: unknown = null
    try {
      parsed = JSON.parse(payload.toString('utf8'))
    } catch {
      // counted as an invalid ack by the dispatcher
    }
    deps.dispatcher.acknowledge(device, parsed)
    return true
  }
  // Operator commands come from MQTT clients; the gateway's own publishes there are results, not requests.
  const op = clientId === null ? null : OPERATOR_COMMAND_RE.exec(topic)
  if (!op || clientId === null) return false
  const device = op[1] as string
  const name = op[2] as string
  const source = operatorSource(clientId)
  // A request that never reaches the dispatcher is answered here, on the same result topic.
  const refuse = (reason: string) =>
    deps.publishResult({
      id: '',
      device,
      name,
      params: {},
      source,
      status: 'refused',
      attempt: 0,
      reason,
      at: deps.now(),
    })
  let params: unknown
  try {
    params = payload.length === 0 ? {} : JSON.parse(payload.toString('utf8'))
  } catch (err) {
    refuse(`params are not JSON: ${(err as Error).message}`)
    return true
  }
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    refuse('params must be a JSON object')
    return true
  }
  // The dispatcher reports every outcome, refusals included, through the result topic.
  deps.dispatcher.send({ device, name, params: params as Record<string, unknown>, source })
  return true
}
