import mqtt, { type MqttClient } from 'mqtt'
import type { SimDevice } from './device.js'

/** Counters for one run; the CLI prints them as the summary. */
export interface SimStats {
  /** Messages handed to the socket (payload faults included). */
  sent: number
  /** QoS 1 messages the broker acknowledged (PUBACK). */
  acked: number
  /** Publishes that failed or were skipped because the device was offline. */
  failed: number
  /** Commands received on `devices/<id>/commands/#`. */
  commands: number
  /** Acks the devices published on `devices/<id>/acks`. */
  acks: number
  faults: number
  reconnects: number
}

export function emptyStats(): SimStats {
  return { sent: 0, acked: 0, failed: 0, commands: 0, acks: 0, faults: 0, reconnects: 0 }
}

export interface ReceivedCommand {
  device: string
  name: string
  payload: Buffer
  at: number
}

/**
 * One device's MQTT session, as a real device would hold it: its own client id, an offline will, a
 * subscription to its command topic when it is an actuator, and acks per the device protocol.
 */
export class MqttLink {
  private client: MqttClient | null = null
  private closed = false

  constructor(
    private readonly device: SimDevice,
    private readonly url: string,
    private readonly stats: SimStats,
    private readonly onCommand: (c: ReceivedCommand) => void,
  ) {}

  get connected(): boolean {
    return this.client?.connected ?? false
  }

  async connect(): Promise<void> {
    const id = this.device.id
    const group = this.device.spec.group
    let connectedOnce = false
    const client = mqtt.connect(this.url, {
      clientId: id,
      clean: true,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      queueQoSZero: false,
      // The will docs/device-protocol.md recommends; the gateway re-publishes its own JSON state after it.
      will: group.will
        ? { topic: `devices/${id}/availability`, payload: Buffer.from('offline'), qos: 1, retain: true }
        : undefined,
    })
    this.client = client
    client.on('error', () => {
      // Connection errors surface as reconnects; a device keeps trying like real firmware does.
    })
    client.on('message', (topic, payload) => this.handleMessage(topic, payload))
    // mqtt.js reconnects by itself after the broker closes the connection (e.g. a refused packet).
    client.on('connect', () => {
      if (connectedOnce) this.stats.reconnects++
      connectedOnce = true
    })
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve())
      client.once('error', reject)
    })
    if (group.actuator) await client.subscribeAsync(`devices/${id}/commands/#`, { qos: 1 })
  }

  publish(topic: string, payload: string | Buffer, qos: 0 | 1): void {
    const client = this.client
    if (!client?.connected) {
      this.stats.failed++
      return
    }
    this.stats.sent++
    client.publish(topic, payload, { qos }, (err) => {
      if (err) this.stats.failed++
      else if (qos > 0) this.stats.acked++
    })
  }

  /** Kills the TCP connection without DISCONNECT (the broker sends the will), then reconnects later. */
  async drop(downForMs: number): Promise<void> {
    const client = this.client
    if (!client || this.closed) return
    this.client = null
    client.stream.destroy()
    await client.endAsync(true)
    await new Promise((r) => setTimeout(r, downForMs))
    if (this.closed) return
    await this.connect()
    this.stats.reconnects++
  }

  async close(): Promise<void> {
    this.closed = true
    const client = this.client
    this.client = null
    if (client) await client.endAsync()
  }

  private handleMessage(topic: string, payload: Buffer): void {
    const prefix = `devices/${this.device.id}/commands/`
    if (!topic.startsWith(prefix)) return
    const name = topic.slice(prefix.length)
    this.stats.commands++
    this.onCommand({ device: this.device.id, name, payload, at: Date.now() })
    const { ack } = this.device.handleCommand(name, payload)
    if (!ack) return
    this.stats.acks++
    this.client?.publish(`devices/${this.device.id}/acks`, JSON.stringify(ack), { qos: 1 })
  }
}
