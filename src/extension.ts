import type { Subject } from 'rxjs'
import type { Broker } from './broker/broker.js'
import type { BrokerMessage } from './broker/broker-events.js'
import type { GatewayConfig } from './config/schema.js'
import type { CommandDispatcher } from './core/command.js'
import type { Event } from './core/event.js'
import type { FileError } from './core/file-errors.js'
import type { Catalog } from './devices/catalog.js'
import type { DeviceModel } from './devices/device-model.js'
import type { DeadLetters } from './ingest/dead-letters.js'
import type { HygieneCounters } from './ingest/hygiene/counters.js'
import type { Normalizer } from './ingest/normalize.js'
import type { IngestPipeline } from './ingest/pipeline.js'
import type { HttpServer } from './observability/http-server.js'
import type { Logger } from './observability/logger.js'
import type { Sample } from './observability/metrics-source.js'
import type { Services } from './services.js'
import type { PointSink } from './sinks/sink.js'

/**
 * Sees a client's QoS 1/2 publish before its PUBACK. Returns null when it does not keep the message, or a
 * waiter that calls back once what it stored is durable.
 */
export type PublishTap = (message: BrokerMessage) => ((durable: () => void) => void) | null

/**
 * What the composition root shares with features. Features read what they need and register into the
 * hook lists; nothing here is a module-level singleton.
 */
export interface GatewayContext {
  readonly config: Readonly<GatewayConfig>
  readonly logger: Logger
  /** Resolves a config path (catalog, rules, dataDir) against the gateway's base folder. */
  path(p: string): string
  /** Every accepted event: telemetry, and other streams (availability, command_timeout, ...). */
  readonly events: Subject<Event>
  /** Sources (serial, internal streams) hand a new event here: the ingest pipeline's gates run, then `events` emits it. */
  emit(event: Event): void
  readonly broker: Broker
  readonly sink: PointSink
  readonly deadLetters: DeadLetters
  readonly http: HttpServer
  readonly catalog: Catalog
  readonly normalizer: Normalizer
  /** The one way in: normalise → gates (unknown device, skew, dedupe, order) → `events`. */
  readonly ingest: IngestPipeline
  /** What the hygiene gates counted (duplicates, out of order, skew, unknown devices). */
  readonly hygiene: Readonly<HygieneCounters>
  /** Registry, availability and the command dispatcher, in memory; their features do the I/O. */
  readonly devices: DeviceModel
  /** Sends commands with acks, retries and queueing (the same object as `devices.commands`). */
  readonly commands: CommandDispatcher
  /** Typed read-only views features offer each other (src/services.ts). */
  readonly services: Services
  /**
   * Features that must store a client's QoS 1/2 publish durably before it is acknowledged (the upstream
   * bridge) add a tap here at start; the PUBACK waits for every tap that took the message.
   */
  readonly publishTaps: PublishTap[]
  /** The running features, in start order: metrics and readiness read them. */
  features(): readonly Extension[]
}

/**
 * A feature of the gateway (rules, registry, serial, metrics, journal, ...). The constructor only
 * assigns; start() does I/O and runs after the sink started and the broker exists (`ctx.broker.subscribe`
 * and its `on…` events may be used), before the broker listens; stop() runs in reverse order.
 */
export interface Extension {
  readonly name: string
  start(): Promise<void>
  stop(): Promise<void>
  /** Samples for GET /metrics, read on each scrape. Labels from bounded sets only, never device ids. */
  metricSamples?(): Sample[]
  /** A check in GET /readyz under `readinessKey ?? name`. */
  readiness?(): { ready: boolean; detail?: Record<string, unknown> }
  readonly readinessKey?: string
  /** SIGHUP: the config file was re-read and is valid; apply what can change live. */
  reloadConfig?(config: Readonly<GatewayConfig>): Promise<void>
}

/** `tidegate check`: every problem a feature finds in the config and the files it names, with file:line. */
export type ConfigCheck = (
  config: Readonly<GatewayConfig>,
  baseDir: string,
  configFile: string,
) => FileError[] | Promise<FileError[]>

/**
 * Builds a feature from the context; null when the config switches it off. `check`, when present, is what
 * `tidegate check` runs for this feature without starting anything.
 */
export interface ExtensionFactory {
  (ctx: GatewayContext): Extension | null
  check?: ConfigCheck
}
