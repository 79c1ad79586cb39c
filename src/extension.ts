import type { Subject } from 'rxjs'
import type { Broker } from './broker/broker.js'
import type { GatewayConfig } from './config/schema.js'
import type { CommandDispatcher } from './core/command.js'
import type { Event } from './core/event.js'
import type { Catalog } from './devices/catalog.js'
import type { DeviceModel } from './devices/device-model.js'
import type { DeadLetters } from './ingest/dead-letters.js'
import type { HygieneCounters } from './ingest/hygiene/counters.js'
import type { Normalizer } from './ingest/normalize.js'
import type { IngestPipeline } from './ingest/pipeline.js'
import type { HttpServer } from './observability/http-server.js'
import type { Logger } from './observability/logger.js'
import type { PointSink } from './sinks/sink.js'

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
  /** Named read-only views other features (metrics, readiness) may look up. */
  readonly services: Map<string, unknown>
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
}

export type ExtensionFactory = (ctx: GatewayContext) => Extension | null
