// aedes-persistence-redis ships no types: what we call of it.
// @ts-expect-error no declaration file
import redisPersistence from 'aedes-persistence-redis'
import { Redis } from 'ioredis'
import type { MQEmitter } from 'mqemitter'
import MQEmitterRedis from 'mqemitter-redis'
import { withBoundedRecursion } from './message-queue.js'
import { withTopicMatchCache } from './topic-match-cache.js'

/** The field that marks a message this node already delivered locally, so its echo from Redis is skipped. */
const ORIGIN = 'tgNode'

export interface RedisBusStats {
  /** Messages that could not be handed to Redis (unreachable): local subscribers got them, other nodes did not. */
  remoteDropped: number
  /** Messages received from other nodes. */
  fromOtherNodes: number
}

export interface RedisBus {
  /** Aedes' `mq`: local subscribers at once, other nodes through Redis pub/sub. */
  mq: MQEmitter
  /** Aedes' `persistence`: sessions, subscriptions, retained messages and wills shared in Redis. */
  persistence: unknown
  stats: RedisBusStats
  /** True while the publishing connection to Redis is up. */
  readonly connected: boolean
  /** Closes the connections after Aedes closed (also when Redis is gone and QUIT would wait forever). */
  close(): void
}

type LocalEmit = (message: { topic: string } & Record<string, unknown>, done?: (err?: Error) => void) => void

/**
 * One broker across nodes: mqemitter-redis carries every message to the other nodes, aedes-persistence-redis
 * keeps the broker state in Redis. Both use the same key space on purpose: the nodes are one broker.
 *
 * Stock mqemitter-redis delivers even local messages only once they come back from Redis, so a node without
 * Redis would stop serving its own clients. Here a message goes to local subscribers at once and to Redis
 * beside it; the echo is recognised by its origin node and skipped. While Redis is unreachable the publish
 * connection fails fast (no unbounded offline queue): other nodes miss those messages, counted.
 */
export function createRedisBus(
  url: string,
  nodeId: string,
  concurrency: number,
  onError: (err: Error) => void,
): RedisBus {
  const stats: RedisBusStats = { remoteDropped: 0, fromOtherNodes: 0 }
  const pubConn = new Redis(url, { enableOfflineQueue: false })
  const subConn = new Redis(url)
  const mq = withTopicMatchCache(MQEmitterRedis({ subConn, pubConn, concurrency, matchEmptyLevels: true })) // [MQTT-4.7.1-3]
  const internals = mq as unknown as { emit: LocalEmit; _emit: LocalEmit }
  // mqemitter-redis keeps mqemitter's own (local) emit as `_emit`; its `emit` publishes to Redis.
  const toRedis = internals.emit.bind(mq)
  internals.emit = internals._emit
  withBoundedRecursion(mq)
  const deliverLocally = internals.emit.bind(mq)
  // An unreachable Redis is a state the node lives through (readiness shows it), not a crash.
  const state = (mq as unknown as { state: { on(e: 'error', f: (err: Error) => void): void } }).state
  state.on('error', (err) => onError(err))
  // From here `_emit` is what the Redis handler calls for a message from Redis.
  internals._emit = (message, done) => {
    if (message[ORIGIN] === nodeId) return done?.()
    stats.fromOtherNodes++
    deliverLocally(message, done)
  }
  internals.emit = (message, done) => {
    deliverLocally(message, done)
    toRedis({ ...message, [ORIGIN]: nodeId }, (err) => {
      if (err) stats.remoteDropped++
    })
  }
  // The persistence's own connection: a command waits for Redis to come back (ioredis' offline queue).
  const conn = new Redis(url)
  conn.on('error', onError)
  // aedes-persistence-redis fires LREM/RPUSH on the will list without awaiting them, and mqemitter-redis sends
  // QUIT at close without a catch: one still queued when a connection drops would reject unhandled. Their
  // failure is harmless (a stale will key is skipped; the connection is going anyway).
  markHandled(conn, ['lrem', 'rpush', 'quit'])
  markHandled(pubConn, ['quit'])
  markHandled(subConn, ['quit'])
  const persistence = redisPersistence({ conn })
  return {
    mq,
    persistence,
    stats,
    get connected() {
      return pubConn.status === 'ready'
    },
    close() {
      for (const c of [pubConn, subConn, conn]) {
        // QUIT answers after the commands sent before it (no "Connection is closed" for them); without Redis, drop.
        if (c.status === 'ready') c.quit().catch(() => c.disconnect())
        else if (c.status !== 'end') c.disconnect()
      }
    },
  }
}

/** Wraps commands whose callers may drop the promise: a rejection stays visible to callers that await it. */
function markHandled(conn: Redis, names: readonly ('lrem' | 'rpush' | 'quit')[]): void {
  for (const name of names) {
    const original = conn[name].bind(conn) as (...args: unknown[]) => Promise<unknown>
    ;(conn as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      const reply = original(...args)
      reply.catch(() => undefined)
      return reply
    }
  }
}
