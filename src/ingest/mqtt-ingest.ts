import type { BrokerClient, BrokerMessage } from '../broker/broker.js'
import type { PublishTap } from '../extension.js'
import type { IngestPipeline } from './pipeline.js'
import { TurnBudget } from './turn-budget.js'

/** Ingest work per event-loop turn: commits, flushes and InfluxDB requests get the loop at least this often. */
const INGEST_TURN_BUDGET_MS = 10

export interface MqttIngestDeps {
  pipeline: Pick<IngestPipeline, 'fromMqtt'>
  /** Calls back once the events emitted so far are durable; QoS>0 PUBACKs wait for it. */
  whenAccepted: (callback: () => void) => void
  /** Taps that store a QoS 1/2 publish before its PUBACK (read on each message: features add theirs at start). */
  publishTaps?: readonly PublishTap[]
  now?: () => number
  /** Bound of the ingest work in one event-loop turn (ms); the rest waits for the next turn. */
  turnBudgetMs?: number
}

/**
 * The broker's authorizePublish hook for ingest: each device publish goes through the ingest pipeline.
 * Device input never throws out of here: a bad payload becomes a dead letter and the message is still
 * forwarded, as a real broker would.
 */
export function createMqttIngestHook(deps: MqttIngestDeps) {
  const now = deps.now ?? Date.now
  const budget = new TurnBudget(deps.turnBudgetMs ?? INGEST_TURN_BUDGET_MS)
  return function ingestPublish(
    client: BrokerClient | null,
    packet: BrokerMessage,
    done: (err?: Error | null) => void,
  ): void {
    // The gateway's own publishes (alerts, dead letters) have no client and are not device input.
    if (!client) return done(null)
    // Deferred with its `done`: aedes reads this connection again only after, so a flood waits in TCP.
    budget.run(() => ingestOne(packet, done))
  }

  function ingestOne(packet: BrokerMessage, done: (err?: Error | null) => void): void {
    const result = deps.pipeline.fromMqtt(packet.topic, packet.payload, now())
    if (packet.qos === 0) return done(null)
    // Only an emitted event went to the outbox; the PUBACK waits until it and every tap's copy are durable.
    const waits: ((durable: () => void) => void)[] = []
    if (result === 'emitted') waits.push(deps.whenAccepted)
    for (const tap of deps.publishTaps ?? []) {
      const wait = tap(packet)
      if (wait) waits.push(wait)
    }
    let pending = waits.length
    if (pending === 0) return done(null)
    for (const wait of waits) wait(() => --pending === 0 && done(null))
  }
}
