import { randomUUID } from 'node:crypto'
import type { Broker, BrokerMessage } from '../../broker/broker.js'
import type { Logger } from '../../observability/logger.js'
import { encodeCommand, type SerialCommand } from './command-encoding.js'
import type { SerialSource } from './serial-source.js'
import type { SerialCommandEncoding } from './type-schema.js'

export const COMMAND_FILTER = 'devices/+/commands/+'
const MAX_LEARNED_DEVICES = 10_000

/** `{"id","status":"sent"}` once the bytes are written; `failed` with an error when they cannot be. */
export interface SerialAck {
  id: string
  status: 'sent' | 'failed'
  error?: string
}

/**
 * Writes commands for serial-bound devices to their port. It listens inside the broker, so every command
 * path (rules, operator topic, CLI, the registry's retries) reaches serial devices exactly as MQTT ones,
 * and answers on `devices/<id>/acks` like a device would.
 */
export class SerialCommandRouter {
  private readonly fixed = new Map<string, SerialSource>()
  private readonly learned = new Map<string, SerialSource>()
  private unsubscribe: (() => Promise<void>) | null = null
  private readonly deliver = (packet: BrokerMessage) => {
    // The broker moves on at once; writes still go out in arrival order (write() is called synchronously).
    this.onCommand(packet.topic, Buffer.from(packet.payload)).catch((err: unknown) => {
      this.logger.error({ err: (err as Error).message, topic: packet.topic }, 'serial command failed')
    })
  }

  constructor(
    private readonly broker: Broker,
    private readonly logger: Logger,
  ) {}

  /** A port whose config names its device (`device.id`): bound for the gateway's lifetime. */
  bindFixed(device: string, source: SerialSource): void {
    this.fixed.set(device, source)
  }

  /** A device seen in a valid frame on a `device.field` port: bound to the port it was last seen on. */
  learn(device: string, source: SerialSource): void {
    const previous = this.learned.get(device)
    if (previous && previous !== source)
      this.logger.warn(
        { device, from: previous.label, to: source.label },
        'device moved to another serial port',
      )
    // Delete and set again: the map's order is recency, so the eviction below drops the longest silent.
    this.learned.delete(device)
    // Bounded: ports that name devices in their frames could otherwise grow this without end.
    if (this.learned.size >= MAX_LEARNED_DEVICES) {
      const oldest = this.learned.keys().next().value
      if (oldest !== undefined) this.learned.delete(oldest)
    }
    this.learned.set(device, source)
  }

  /** The port commands to this device go out on, if it is a serial device. */
  portOf(device: string): SerialSource | undefined {
    return this.fixed.get(device) ?? this.learned.get(device)
  }

  async start(): Promise<void> {
    this.unsubscribe = await this.broker.subscribe(COMMAND_FILTER, this.deliver)
  }

  async stop(): Promise<void> {
    const unsubscribe = this.unsubscribe
    this.unsubscribe = null
    await unsubscribe?.()
  }

  private async onCommand(topic: string, payload: Buffer): Promise<void> {
    const [, device = '', , name = ''] = topic.split('/')
    const source = this.portOf(device)
    if (!source) return // an MQTT device: not ours
    const encoding: SerialCommandEncoding | undefined = source.deviceType.definition.serial?.commands
    if (!encoding) {
      this.logger.warn(
        { device, type: source.deviceType.name },
        'device type has no serial command encoding; command not written',
      )
      return
    }
    const cmd = parseCommand(device, name, payload)
    try {
      await source.connection.write(encodeCommand(encoding, cmd))
      source.stats.commandsWritten++
      await this.ack(device, { id: cmd.id, status: 'sent' })
    } catch (err) {
      source.stats.commandsFailed++
      const error = (err as Error).message
      this.logger.warn(
        { device, port: source.label, command: name, err: error },
        'serial command not written',
      )
      await this.ack(device, { id: cmd.id, status: 'failed', error })
    }
  }

  private ack(device: string, ack: SerialAck): Promise<void> {
    return this.broker.publish(`devices/${device}/acks`, JSON.stringify(ack), { qos: 1 })
  }
}

/**
 * The dispatcher's payload is `{"id","name","params",...}`; an operator may publish just the params
 * (`{"setpoint":20}`) or plain text, which becomes `{"value": text}`.
 */
export function parseCommand(device: string, name: string, payload: Buffer): SerialCommand {
  const text = payload.toString('utf8')
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    body = text === '' ? {} : { value: text }
  }
  const obj =
    typeof body === 'object' && body !== null && !Array.isArray(body)
      ? (body as Record<string, unknown>)
      : { value: body }
  const id = typeof obj.id === 'string' && obj.id ? obj.id : randomUUID()
  const params =
    typeof obj.params === 'object' && obj.params !== null && !Array.isArray(obj.params)
      ? (obj.params as Record<string, unknown>)
      : Object.fromEntries(Object.entries(obj).filter(([k]) => k !== 'id' && k !== 'name'))
  return { id, device, name, params }
}
