import type { BrokerClient, BrokerMessage } from '../broker/broker.js'
import type { Event } from '../core/event.js'
import type { DeadLetters } from './dead-letters.js'
import type { Normalizer } from './normalize.js'
import { TurnBudget } from './turn-budget.js'

/** Ingest work per event-loop turn: commits, flushes and InfluxDB requests get the loop at least this often. */
const INGEST_TURN_BUDGET_MS = 10

export interface MqttIngestDeps {
  normalizer: Normalizer
  deadLetters: DeadLetters
  /** Receives each valid event synchronously (writer, rules, journal fan out from here). */
  emit: (event: Event) => void
  /** Calls back once the events emitted so far are durable; QoS>0 PUBACKs wait for it. */
  whenAccepted: (callback: () => void) => void
  now?: () => number
  /** Bound of the ingest work in one event-loop turn (ms); the rest waits for the next turn. */
  turnBudgetMs?: number
}

/**
 * The broker's authorizePublish hook for ingest. Device input never throws out of here: a bad payload
 * becomes a dead letter and the message is still forwarded, as a real broker would.
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
    let outcome: ReturnType<Normalizer['fromMqtt']>
    try {
      outcome = deps.normalizer.fromMqtt(packet.topic, packet.payload, now())
    } catch (err) {
      // A bug in normalisation must not take the broker down; keep the input as a dead letter.
      deps.deadLetters.record({
        reason: 'schema',
        topic: packet.topic,
        payload: Buffer.from(packet.payload).toString('base64'),
        encoding: 'base64',
        errors: [`internal error: ${(err as Error).message}`],
        at: now(),
      })
      return done(null)
    }
    if (outcome === null) return done(null)
    if (!outcome.ok) {
      deps.deadLetters.record(outcome.dead)
      return done(null)
    }
    deps.emit(outcome.event)
    if (packet.qos > 0) deps.whenAccepted(() => done(null))
    else done(null)
  }
}
