/** Topics whose matches are kept at most; past it the oldest topic's entry goes (a bound against random topics). */
export const MATCH_CACHE_TOPICS = 4096

/** The part of mqemitter's Qlobber that mqemitter (and mqemitter-redis) call. */
interface TopicMatcher {
  match(topic: string, ctx?: unknown): unknown[]
  add(topic: string, value: unknown): unknown
  remove(topic: string, value?: unknown): unknown
  clear(): unknown
}

/**
 * Keeps each topic's list of matching subscribers until the subscriptions change.
 *
 * mqemitter asks its Qlobber for the subscribers of every message's topic: Qlobber splits the topic into
 * words and walks its trie, a new array each time. A gateway's messages come from a bounded set of device
 * topics whose subscribers rarely change (most have none: telemetry goes to ingest, not to MQTT clients),
 * so the same answer was rebuilt 10 000 times a second; the split alone was ~200 bytes of garbage a message.
 * Any add, remove or clear empties the cache, so an answer is never older than the subscriptions it came
 * from. Cached arrays are shared: mqemitter and fastparallel only read them.
 */
export function withTopicMatchCache<M extends object>(mq: M, maxTopics = MATCH_CACHE_TOPICS): M {
  const matcher = (mq as unknown as { _matcher: TopicMatcher })._matcher
  const match = matcher.match.bind(matcher)
  const add = matcher.add.bind(matcher)
  const remove = matcher.remove.bind(matcher)
  const clear = matcher.clear.bind(matcher)
  const cache = new Map<string, unknown[]>()
  matcher.match = (topic, ctx) => {
    // A context changes what matches (Qlobber passes it to its value tests): not cached.
    if (ctx !== undefined) return match(topic, ctx)
    let found = cache.get(topic)
    if (found === undefined) {
      found = match(topic)
      if (cache.size >= maxTopics) cache.delete(cache.keys().next().value as string)
      cache.set(topic, found)
    }
    return found
  }
  matcher.add = (topic, value) => {
    cache.clear()
    return add(topic, value)
  }
  matcher.remove = (topic, value) => {
    cache.clear()
    return remove(topic, value)
  }
  matcher.clear = () => {
    cache.clear()
    return clear()
  }
  skipEmptyDeliveries(mq as unknown as MqInternals, matcher)
  return mq
}

/** The mqemitter internals a message's start goes through (see message-queue.ts). */
interface MqInternals {
  _do(message: { topic: string }, callback: () => void): unknown
  _released(): void
  _doing: boolean
  current: number
}

/**
 * A message nobody subscribed to (most device telemetry) completes at once, without fastparallel: for an
 * empty list fastparallel takes a holder from its pool and never returns it, so it built a new holder
 * and its closure for every such message (~180 bytes). What mqemitter does around it is kept: the
 * message holds a concurrency slot while its callback runs, and releasing it starts the next queued one.
 */
function skipEmptyDeliveries(mq: MqInternals, matcher: TopicMatcher): void {
  const startMessage = mq._do.bind(mq)
  mq._do = (message, callback) => {
    if (matcher.match(message.topic).length > 0) return startMessage(message, callback)
    mq._doing = true
    mq.current++
    callback.call(mq)
    mq._released()
    return mq
  }
}
