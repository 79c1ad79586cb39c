import type { Duplex } from 'node:stream'
import './packet-number-cache.js'
import { Aedes, type AedesOptions, type AuthenticateError, type Client, type PublishPacket } from 'aedes'
import { pino } from 'pino'
import { toMs } from '../core/duration.js'
import { type Logger, RateLimitedLog } from '../observability/logger.js'
import { Acl } from './acl.js'
import { Authenticator } from './authenticator.js'
import { Authorizer } from './authorizer.js'
import { type AedesReadLoop, readOnePieceAtATime } from './bounded-reading.js'
import { BoundedState, type PersistenceLike } from './bounded-state.js'
import {
  type BrokerClient,
  type BrokerMessage,
  type ClientGone,
  onClientConnect,
  onClientDisconnect,
  onPublish,
  onSubscribe,
  subscribeInternal,
  type Unlisten,
} from './broker-events.js'
import { mqttConfigProblems } from './config-check.js'
import type { MqttConfig } from './config-schema.js'
import { type ConnectionInfo, GuardedConnection } from './guarded-connection.js'
import { type BoundListener, Listeners } from './listeners.js'
import { createMessageQueue } from './message-queue.js'
import { ReadAdmission } from './read-admission.js'
import { createRedisBus, type RedisBus } from './redis-bus.js'
import { type RefusalReason, Refusals } from './refusals.js'

export type { BoundListener, BrokerClient, BrokerMessage, ClientGone, Unlisten }

/**
 * The broker's decision hooks; the gateway plugs ingest in here, behind authentication and the ACL.
 * `client` is null for the gateway's own publishes.
 */
export interface BrokerHooks {
  authorizePublish?: (
    client: BrokerClient | null,
    message: BrokerMessage,
    done: (err?: Error | null) => void,
  ) => void
}
type AedesPublishHook = (
  client: Client | null,
  packet: PublishPacket,
  done: (err?: Error | null) => void,
) => void

export interface PublishOptions {
  qos?: 0 | 1 | 2
  retain?: boolean
}

/** One broker across nodes (`cluster.redis`): Aedes' message bus and state in Redis (redis-bus.ts). */
export interface BrokerCluster {
  redis: string
  nodeId: string
  /** Aedes' heartbeat between nodes: wills of a node silent for 3 heartbeats are published by the others. */
  heartbeatMs: number
}

/** What the metrics and readiness features read (the `broker` service). */
export interface BrokerStats {
  refusals: ReadonlyMap<RefusalReason, number>
  connections: number
  clients: number
  retained: number
  sessions: number
  listening: boolean
  /** Parsed packets not yet handled, across connections (bounded: read-admission.ts). */
  packetsInFlight: number
  /** Connections waiting for room to read their next piece (the gateway is behind its input). */
  connectionsWaitingToRead: number
}

/** Aedes client errors that are refusals of ours, by the message Aedes gives them. */
const AEDES_ERRORS: [string, RefusalReason][] = [
  ['connect did not arrive in time', 'connect_timeout'],
  ['maxInflightInbound exceeded', 'inflight_cap'],
  ['drain timeout', 'slow_subscriber'],
]

/**
 * The embedded MQTT broker: Aedes behind tidegate's transport guard (packet size cap and spec checks),
 * authentication, ACL, rate and state limits, on TCP/TLS/WebSocket listeners. Constructor only
 * assigns; start() does the I/O.
 */
export class Broker {
  readonly refusals: Refusals
  /** One bound of parsed packets in flight for every connection of this broker. */
  private readonly admission: ReadAdmission
  private aedes: Aedes | null = null
  private readonly acl: Acl
  private readonly auth: Authenticator
  private readonly authorizer: Authorizer
  private readonly net: Listeners
  private state: BoundedState | null = null
  private readonly infos = new WeakMap<Duplex, ConnectionInfo>()
  private readonly errored = new WeakSet<Client>()
  private bus: RedisBus | null = null
  private readonly redisLog: RateLimitedLog

  constructor(
    private readonly config: MqttConfig,
    hooks: BrokerHooks = {},
    logger: Logger = pino({ level: 'silent' }),
    /** Clock for expiry, rate and failed-login windows (tests pass a fake one). */
    private readonly now: () => number = Date.now,
    /** Set: this node shares the broker with the other nodes on the same Redis. */
    private readonly cluster: BrokerCluster | null = null,
  ) {
    this.refusals = new Refusals(logger, config.refusalLogPerMinute)
    this.admission = new ReadAdmission(config.maxPacketsInFlight)
    // ioredis reports every failed reconnect: an outage would flood the log.
    this.redisLog = new RateLimitedLog(logger, 6)
    this.acl = new Acl(config.acl.roles)
    this.auth = new Authenticator(
      config.auth,
      this.acl,
      this.refusals,
      (client) => this.infos.get(client.conn),
      now,
    )
    // Aedes' Client and packet are the facade's BrokerClient and BrokerMessage (payload always a Buffer
    // on the wire): handed over as they are, no wrapper on the hot path.
    const ingest = (hooks.authorizePublish as AedesPublishHook | undefined) ?? ((_c, _p, done) => done(null))
    this.authorizer = new Authorizer(this.acl, this.auth, config.publishRate, this.refusals, ingest, now)
    const limits = { ...config, connectTimeoutMs: toMs(config.connectTimeout) }
    this.net = new Listeners(config.listeners, limits, this.refusals, (transport, info) =>
      this.accept(transport, info),
    )
  }

  /** The Aedes instance, for src/broker/ and its tests only; features use the methods below. */
  get instance(): Aedes {
    if (!this.aedes) throw new Error('broker not started')
    return this.aedes
  }

  /** True before create() and once stop() closed it: nobody to publish to. */
  get closed(): boolean {
    return this.aedes?.closed ?? true
  }

  /** Every publish through the broker, after ingest; `client` null for the gateway's own. */
  onPublish(listener: (message: BrokerMessage, client: BrokerClient | null) => void): Unlisten {
    return onPublish(this.instance, listener)
  }

  /** A client finished CONNECT; `will`: it left a will message. */
  onClientConnect(listener: (client: BrokerClient, options: { will: boolean }) => void): Unlisten {
    return onClientConnect(this.instance, listener)
  }

  /** A client's connection is gone, cleanly (DISCONNECT) or not. Also fires for every client at stop. */
  onClientDisconnect(listener: (client: BrokerClient, how: ClientGone) => void): Unlisten {
    return onClientDisconnect(this.instance, listener)
  }

  /** A client subscribed (after the ACL allowed it). */
  onSubscribe(listener: (filters: readonly string[], client: BrokerClient) => void): Unlisten {
    return onSubscribe(this.instance, listener)
  }

  /** An internal subscription (journal, serial commands); resolves with its unsubscribe. */
  subscribe(filter: string, deliver: (message: BrokerMessage) => void): Promise<() => Promise<void>> {
    return subscribeInternal(this.instance, filter, deliver)
  }

  /**
   * In a cluster: an internal subscription to what other nodes' clients and the other gateways published
   * (acks for commands this node sent, availability of devices connected elsewhere). Never fires on a
   * single node, which subscribes nothing.
   */
  async subscribeFromOtherNodes(
    filter: string,
    deliver: (message: BrokerMessage) => void,
  ): Promise<() => Promise<void>> {
    if (!this.bus) return async () => {}
    const own = this.instance.id
    return subscribeInternal(this.instance, filter, (message) => {
      // Aedes stamps each packet with the id of the broker it entered through.
      if ((message as { brokerId?: string }).brokerId !== own) deliver(message)
    })
  }

  get listeners(): readonly BoundListener[] {
    return this.net.listeners
  }

  get stats(): BrokerStats {
    return {
      refusals: this.refusals.counts,
      connections: this.net.connections,
      clients: this.aedes?.connectedClients ?? 0,
      retained: this.state?.retainedCount ?? 0,
      sessions: this.state?.sessionCount ?? 0,
      listening: this.net.listeners.length > 0,
      packetsInFlight: this.admission.packetsInFlight,
      connectionsWaitingToRead: this.admission.connectionsWaiting,
    }
  }

  /** Expires old retained messages and offline sessions now (the broker also does it every minute). */
  async sweepState(): Promise<void> {
    await this.state?.sweep()
  }

  /** Who is connected through `client` (address, listener, certificate CN). */
  connectionOf(client: Client): ConnectionInfo | undefined {
    return this.infos.get(client.conn)
  }

  /**
   * Creates the Aedes instance without listening, so features can subscribe internally (journal, serial
   * commands, acks) before the first device connects. start() calls it when needed.
   */
  async create(): Promise<void> {
    if (this.aedes) return
    // `tidegate check` reports these with file:line:col; starting anyway would run with a broken policy.
    const problems = mqttConfigProblems(this.config, process.cwd())
    if (problems.length)
      throw new Error(
        `mqtt config: ${problems.map((p) => `/mqtt/${p.path.join('/')}: ${p.message}`).join('; ')}`,
      )
    await this.auth.start()
    const c = this.config
    const cluster = this.cluster
    if (cluster)
      this.bus = createRedisBus(cluster.redis, cluster.nodeId, 100, (err) =>
        this.redisLog.warn('redis', { err: err.message }, 'cluster: redis connection error'),
      )
    const options: AedesOptions = {
      // Aedes' default bus with concurrency 100, minus its unbounded recursion under a flood.
      mq: this.bus?.mq ?? createMessageQueue(100),
      ...(this.bus && cluster
        ? {
            id: cluster.nodeId,
            persistence: this.bus.persistence as AedesOptions['persistence'],
            heartbeatInterval: cluster.heartbeatMs,
          }
        : {}),
      connectTimeout: toMs(c.connectTimeout),
      drainTimeout: toMs(c.slowSubscriberTimeout),
      maxInflightInbound: c.maxInflightQos2,
      maxTopicLevels: c.maxTopicLevels,
      maxClientsIdLength: c.maxClientIdLength,
      authenticate: (client, username, password, done) => {
        this.auth.authenticate(client, username, password, (err, ok) => {
          if (err || !ok) return done(err as AuthenticateError | null, ok)
          // Only an authenticated client may create (or, with clean session 1, discard) a session.
          if (this.state?.admitSession(client)) return done(null, true)
          const full = Object.assign(new Error('server unavailable: session cap'), { returnCode: 3 })
          done(full as AuthenticateError, false)
        })
      },
      authorizePublish: this.authorizer.authorizePublish,
      authorizeSubscribe: this.authorizer.authorizeSubscribe,
      authorizeForward: this.authorizer.authorizeForward,
    }
    const aedes = await Aedes.createBroker(options)
    this.aedes = aedes
    const persistence = (aedes as unknown as { persistence: PersistenceLike }).persistence
    this.state = new BoundedState(
      persistence,
      {
        maxRetained: c.maxRetained,
        retainedExpiryMs: toMs(c.retainedExpiry),
        maxSessions: c.maxSessions,
        sessionExpiryMs: toMs(c.sessionExpiry),
        maxOfflineQueue: c.maxOfflineQueue,
      },
      this.refusals,
      this.now,
    )
    this.state.start()
    const state = this.state
    aedes.on('clientReady', (client) => state.clientReady(client))
    aedes.on('clientDisconnect', (client) => state.clientGone(client))
    const onError = (client: Client, err: Error) => {
      const match = AEDES_ERRORS.find(([text]) => err.message.startsWith(text))
      if (!match) return
      // Packets of one read are handled concurrently, so one cut can raise the same error many times.
      if (client && this.errored.has(client)) return
      if (client) this.errored.add(client)
      this.refusals.refuse(match[1], { clientId: client?.id ?? null, ...this.addressOf(client) })
    }
    aedes.on('clientError', onError)
    aedes.on('connectionError', onError)
  }

  async start(): Promise<void> {
    await this.create()
    await this.net.start()
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
    this.state?.stop()
    await this.net.stop()
    const aedes = this.aedes
    if (aedes) {
      const closed = new Promise<void>((resolve) => aedes.close(() => resolve()))
      // mqemitter-redis closes with QUIT and waits for it: with Redis gone it would wait forever.
      await (this.bus ? Promise.race([closed, new Promise((r) => setTimeout(r, 2000).unref())]) : closed)
    }
    this.bus?.close()
  }

  /** The Redis bus of a cluster node (null on a single node): its counters and connection state. */
  get redisBus(): Pick<RedisBus, 'stats' | 'connected'> | null {
    return this.bus
  }

  private accept(transport: Duplex, info: ConnectionInfo): void {
    const guarded = new GuardedConnection(transport, info, this.config, (refusal, who) =>
      this.refusals.refuse(refusal.reason, {
        detail: refusal.detail,
        address: who.address,
        listener: who.listener,
      }),
    )
    this.infos.set(guarded, info)
    const client = this.instance.handle(guarded) as unknown as AedesReadLoop
    readOnePieceAtATime(client, guarded, this.admission)
  }

  private addressOf(client: Client | undefined): { address?: string } {
    const info = client?.conn ? this.infos.get(client.conn) : undefined
    return info ? { address: info.address } : {}
  }
}
