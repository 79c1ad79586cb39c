import type { Socket } from 'node:net'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { backoffDelay } from '../../core/backoff.js'
import type { Logger } from '../../observability/logger.js'
import { remoteTopic } from './message-item.js'

export interface UpstreamConnectionOptions {
  url: string
  clientId: string
  username?: string | undefined
  password?: string | undefined
  /** PEM contents (already read). */
  ca?: Buffer | undefined
  cert?: Buffer | undefined
  key?: Buffer | undefined
  protocolVersion: 4 | 5
  prefix: string
  /** Remote filters (prefix already added) subscribed on every connect. */
  subscriptions: string[]
  reconnectBaseMs?: number
  reconnectCapMs?: number
}

/** Where the connection's presence lives: `<prefix>/tidegate/status`, `online` / `offline`, retained. */
export const statusTopic = (prefix: string) => remoteTopic(prefix, 'tidegate/status')

/**
 * One MQTT.js client to the upstream broker at a time, clean session, its reconnects our own: a lost
 * connection ends that client (MQTT.js fails its unacknowledged publishes) and a fresh one is made after
 * a backoff. So nothing is resent behind the outbox's back: the outbox alone decides what goes again,
 * from the oldest unacknowledged entry. Will: `offline` retained; on connect `online` retained.
 */
export class UpstreamConnection {
  private client: MqttClient | null = null
  private timer: NodeJS.Timeout | null = null
  private failures = 0
  private stopped = true
  connected = false
  lastError: string | null = null
  /** Runs on each (re)connection, after the subscriptions were sent. */
  onUp: () => void = () => {}
  onDown: () => void = () => {}
  onMessage: (topic: string, payload: Buffer, retain: boolean) => void = () => {}

  constructor(
    private readonly options: UpstreamConnectionOptions,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.stopped = false
    this.open()
  }

  /** The client while connected, else null. */
  get current(): MqttClient | null {
    return this.connected ? this.client : null
  }

  private open(): void {
    const o = this.options
    const status = statusTopic(o.prefix)
    const options: IClientOptions = {
      clientId: o.clientId,
      protocolVersion: o.protocolVersion,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      keepalive: 30,
      will: { topic: status, payload: Buffer.from('offline'), qos: 1, retain: true },
    }
    if (o.username !== undefined) options.username = o.username
    if (o.password !== undefined) options.password = o.password
    if (o.ca) options.ca = o.ca
    if (o.cert) options.cert = o.cert
    if (o.key) options.key = o.key
    const client = mqtt.connect(o.url, options)
    this.client = client
    client.on('connect', () => {
      if (this.client !== client)
        return // Small PUBLISH packets must not wait for Nagle: the window's throughput depends on PUBACK latency.
      ;(client.stream as Partial<Socket>).setNoDelay?.(true)
      this.connected = true
      if (this.failures > 0) this.logger.info({ afterFailures: this.failures }, 'upstream connected again')
      else this.logger.info({ url: o.url }, 'upstream connected')
      this.failures = 0
      this.lastError = null
      client.publish(status, 'online', { qos: 1, retain: true })
      if (o.subscriptions.length > 0)
        client.subscribe(
          o.subscriptions,
          // MQTT 5: never hear our own forwards back (3.1.1 relies on the config check: no overlap).
          { qos: 1, ...(o.protocolVersion === 5 ? { nl: true } : {}) },
          (err) => {
            if (err) this.logger.error({ err: err.message }, 'upstream refused the receive subscriptions')
          },
        )
      this.onUp()
    })
    client.on('message', (topic, payload, packet) => this.onMessage(topic, payload, packet.retain))
    client.on('error', (err) => {
      this.lastError = err.message
    })
    client.on('close', () => this.lost(client))
  }

  private lost(client: MqttClient): void {
    if (this.client !== client) return
    this.client = null
    const was = this.connected
    this.connected = false
    client.end(true)
    if (was) this.onDown()
    if (this.stopped) return
    if (this.failures === 0)
      this.logger.warn({ err: this.lastError }, 'upstream connection lost; forwarding is buffered')
    const delay = backoffDelay(
      this.failures,
      this.options.reconnectBaseMs ?? 250,
      this.options.reconnectCapMs ?? 5000,
    )
    this.failures++
    this.timer = setTimeout(() => {
      this.timer = null
      if (!this.stopped) this.open()
    }, delay)
  }

  /** Says `offline` (a clean disconnect does not fire the will) and disconnects. */
  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    const client = this.client
    this.client = null
    if (!client) return
    const wasConnected = this.connected
    this.connected = false
    if (wasConnected) {
      const said = client.publishAsync(statusTopic(this.options.prefix), 'offline', { qos: 1, retain: true })
      await Promise.race([said.catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())])
    }
    await client.endAsync(!wasConnected).catch(() => undefined)
  }
}
