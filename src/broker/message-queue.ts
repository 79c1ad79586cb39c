import mqemitter, { type MQEmitter } from 'mqemitter'
import { withTopicMatchCache } from './topic-match-cache.js'

/** Levels of synchronous release → deliver → release before the queue continues on a fresh stack. */
const MAX_SYNC_DEPTH = 64

interface MqInternals {
  _do(message: unknown, callback: (err?: Error) => void): unknown
  _released(): void
  _messageQueue: unknown[]
  _messageCallbacks: unknown[]
  current: number
  closed: boolean
}

/**
 * Aedes' message bus (mqemitter) with its queue drained without unbounded recursion.
 *
 * mqemitter starts the next queued message from inside the completion of the previous one. When deliveries
 * complete synchronously (a message nobody subscribed to, an internal subscriber that calls back at once),
 * draining a long queue recurses once per message: under a QoS 0 flood the queue grows until the stack
 * overflows and the process dies with "Maximum call stack size exceeded" (mcollina/mqemitter#204, unfixed).
 * Here every 64th nested start continues on a fresh stack (setImmediate), and while a message waits for that,
 * new messages queue behind it so per-topic order is kept.
 */
export function createMessageQueue(concurrency: number): MQEmitter {
  return withBoundedRecursion(withTopicMatchCache(mqemitter({ concurrency, matchEmptyLevels: true }))) // [MQTT-4.7.1-3]
}

/** Patches an mqemitter (or a subclass, e.g. mqemitter-redis) in place; returns it. */
export function withBoundedRecursion<M extends MQEmitter>(mq: M): M {
  const internals = mq as unknown as MqInternals & MQEmitter
  const startMessage = internals._do.bind(internals)
  const emit = internals.emit.bind(internals)
  let depth = 0
  internals._do = (message, callback) => {
    if (depth >= MAX_SYNC_DEPTH) {
      // Put it back at the head and hold its slot, so emit() queues behind it; released() resumes it.
      internals._messageQueue.unshift(message)
      internals._messageCallbacks.unshift(callback)
      internals.current++
      setImmediate(() => internals._released())
      return internals
    }
    depth++
    try {
      return startMessage(message, callback)
    } finally {
      depth--
    }
  }
  internals.emit = ((message: Parameters<MQEmitter['emit']>[0], callback?: (err?: Error) => void) => {
    // A message queued for a fresh stack is still ahead of this one: keep the order.
    if (internals._messageQueue.length > 0 && !internals.closed) {
      internals._messageQueue.push(message)
      internals._messageCallbacks.push(callback ?? (() => {}))
      return internals
    }
    return emit(message, callback)
  }) as MQEmitter['emit']
  return mq
}
