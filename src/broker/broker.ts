import { createServer, type Server, type Socket } from 'node:net'
import { Aedes, type AedesOptions, type Client, type PublishPacket } from 'aedes'
import type { GatewayConfig } from '../config/schema.js'
import { toMs } from '../core/duration.js'

export interface BoundListener {
  host: string
  port: number
}

/** The broker's decision hooks; the gateway composes ingest, auth and ACL into these. */
export interface BrokerHooks {
  authorizePublish?: (
    client: Client | null,
    packet: PublishPacket,
    done: (err?: Error | null) => void,
  ) => void
  authenticate?: AedesOptions['authenticate']
  authorizeSubscribe?: AedesOptions['authorizeSubscribe']
  preConnect?: AedesOptions['preConnect']
}

export interface PublishOptions {
  qos?: 0 | 1 | 2
  retain?: boolean
}

/**
 * The embedded MQTT broker: Aedes on TCP listeners. Constructor only assigns; start() does the I/O.
 */
export class Broker {
  private aedes: Aedes | null = null
  private readonly servers: Server[] = []
  private readonly sockets = new Set<Socket>()
  private bound: BoundListener[] = []

  constructor(
    private readonly config: GatewayConfig['mqtt'],
    private readonly hooks: BrokerHooks = {},
  ) {}

  get instance(): Aedes {
    if (!this.aedes) throw new Error('broker not started')
    return this.aedes
  }

  get listeners(): readonly BoundListener[] {
    return this.bound
  }

  /**
   * Creates the Aedes instance without listening, so features can subscribe internally (journal, serial
   * commands, acks) before the first device connects. start() calls it when needed.
   */
  async create(): Promise<void> {
    if (this.aedes) return
    const options: AedesOptions = { connectTimeout: toMs(this.config.connectTimeout) }
    if (this.hooks.authorizePublish) options.authorizePublish = this.hooks.authorizePublish
    if (this.hooks.authenticate) options.authenticate = this.hooks.authenticate
    if (this.hooks.authorizeSubscribe) options.authorizeSubscribe = this.hooks.authorizeSubscribe
    if (this.hooks.preConnect) options.preConnect = this.hooks.preConnect
    this.aedes = await Aedes.createBroker(options)
  }

  async start(): Promise<void> {
    await this.create()
    for (const listener of this.config.listeners) {
      const server = createServer((socket) => {
        this.sockets.add(socket)
        socket.once('close', () => this.sockets.delete(socket))
        this.instance.handle(socket)
      })
      this.servers.push(server)
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(listener.port, listener.host, () => {
          server.off('error', reject)
          resolve()
        })
      })
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : listener.port
      this.bound.push({ host: listener.host, port })
    }
  }

  publish(topic: string, payload: string | Buffer, options: PublishOptions = {}): Promise<void> {
    const packet = {
      cmd: 'publish',
      topic,
      payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
      qos: options.qos ?? 0,
      retain: options.retain ?? false,
      dup: false,
    } as PublishPacket
    return new Promise((resolve, reject) => {
      this.instance.publish(packet, (err) => (err ? reject(err) : resolve()))
    })
  }

  async stop(): Promise<void> {
    for (const server of this.servers) server.close()
    for (const socket of this.sockets) socket.destroy()
    const aedes = this.aedes
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()))
    this.servers.length = 0
    this.bound = []
  }
}
