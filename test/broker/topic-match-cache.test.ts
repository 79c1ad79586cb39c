import mqemitter from 'mqemitter'
import { describe, expect, it } from 'vitest'
import { createMessageQueue } from '../../src/broker/message-queue.js'
import { withTopicMatchCache } from '../../src/broker/topic-match-cache.js'
import { useCleanup } from '../helpers/cleanup.js'
import { collect, connectClient } from '../helpers/mqtt.js'
import { startBroker } from './raw-client.js'

const cleanup = useCleanup()

type Mq = ReturnType<typeof mqemitter>
type Handler = Parameters<Mq['on']>[1]

/** An mqemitter whose Qlobber counts the matches it computes, with the cache around it. */
function countedMq(maxTopics?: number): { mq: Mq; walks: () => number } {
  const mq = mqemitter({ matchEmptyLevels: true })
  const matcher = (mq as unknown as { _matcher: { match(topic: string): unknown[] } })._matcher
  const match = matcher.match.bind(matcher)
  let walks = 0
  matcher.match = (topic) => {
    walks++
    return match(topic)
  }
  return { mq: withTopicMatchCache(mq, maxTopics), walks: () => walks }
}

const on = (mq: Mq, filter: string, handler: Handler) =>
  new Promise<void>((resolve) => mq.on(filter, handler, resolve))
const off = (mq: Mq, filter: string, handler: Handler) =>
  new Promise<void>((resolve) => mq.removeListener(filter, handler, resolve))
const emit = (mq: Mq, topic: string) => new Promise<void>((resolve) => mq.emit({ topic }, () => resolve()))

describe('topic match cache', () => {
  it('walks the subscription trie once per topic while the subscriptions stay', async () => {
    const { mq, walks } = countedMq()
    const got: string[] = []
    await on(mq, 'devices/+/telemetry', (m, done) => {
      got.push(m.topic)
      done()
    })
    for (let i = 0; i < 5; i++) await emit(mq, 'devices/a/telemetry')
    await emit(mq, 'devices/b/telemetry')
    await emit(mq, 'nobody/listens')
    await emit(mq, 'nobody/listens')
    expect(got).toEqual([...Array(5).fill('devices/a/telemetry'), 'devices/b/telemetry'])
    expect(walks()).toBe(3)
  })

  it('a subscription added or removed is seen by the next message on a cached topic', async () => {
    const mq = createMessageQueue(100)
    const got: string[] = []
    const late: Handler = (m, done) => {
      got.push(`late ${m.topic}`)
      done()
    }
    await emit(mq, 'devices/a/telemetry') // cached: nobody
    await on(mq, 'devices/#', late)
    await emit(mq, 'devices/a/telemetry')
    await on(mq, 'devices/a/telemetry', (m, done) => {
      got.push(`exact ${m.topic}`)
      done()
    })
    await emit(mq, 'devices/a/telemetry')
    await off(mq, 'devices/#', late)
    await emit(mq, 'devices/a/telemetry')
    ;(mq as unknown as { removeAllListeners(topic: string): void }).removeAllListeners('devices/a/telemetry')
    await emit(mq, 'devices/a/telemetry')
    expect(got).toEqual([
      'late devices/a/telemetry',
      'late devices/a/telemetry',
      'exact devices/a/telemetry',
      'exact devices/a/telemetry',
    ])
  })

  it('a message nobody subscribed to completes without fastparallel, in its turn behind a held slot', async () => {
    const mq = createMessageQueue(1)
    const internals = mq as unknown as { _parallel: (...args: unknown[]) => unknown }
    const parallel = internals._parallel
    let parallelCalls = 0
    internals._parallel = (...args) => {
      parallelCalls++
      return parallel(...args)
    }
    const order: string[] = []
    let releaseSlow = () => {}
    await on(mq, 'slow', (_m, done) => {
      order.push('slow delivered')
      releaseSlow = done
    })
    mq.emit({ topic: 'slow' }, () => order.push('slow done'))
    mq.emit({ topic: 'nobody/a' }, () => order.push('nobody/a done'))
    mq.emit({ topic: 'nobody/b' }, () => order.push('nobody/b done'))
    expect(order).toEqual(['slow delivered']) // the only slot is held: the others wait their turn
    releaseSlow()
    expect(order).toEqual(['slow delivered', 'slow done', 'nobody/a done', 'nobody/b done'])
    expect(parallelCalls).toBe(1)
  })

  it('keeps at most maxTopics topics: past it the oldest is walked again', async () => {
    const { mq, walks } = countedMq(2)
    for (const topic of ['a', 'b', 'b', 'c', 'c', 'b', 'a']) await emit(mq, topic)
    // a, b, c walked; c evicts a; b still cached; a walked again.
    expect(walks()).toBe(4)
  })

  it('over MQTT: a client that subscribes to a topic already flowing gets its next message, and none after it unsubscribes', async () => {
    const { broker, url } = await startBroker()
    cleanup.push(() => broker.stop())
    const device = await connectClient(url, { clientId: 'dev-a' })
    cleanup.push(() => device.endAsync())
    const watcher = await connectClient(url, { clientId: 'watcher' })
    cleanup.push(() => watcher.endAsync())
    const send = (topic: string, text: string) => device.publishAsync(topic, text, { qos: 1 })

    await send('devices/a/telemetry', 'm0') // nobody subscribed: cached as such
    const seen = await collect(watcher, 'devices/+/telemetry')
    await send('devices/a/telemetry', 'm1')
    await seen.next(1)
    await watcher.unsubscribeAsync('devices/+/telemetry')
    await watcher.subscribeAsync('marker/x', { qos: 1 })
    await send('devices/a/telemetry', 'm2') // cached with the watcher: must not reach it now
    await send('marker/x', 'marker')
    await seen.next(2)
    expect(seen.messages.map((m) => `${m.topic} ${m.payload.toString()}`)).toEqual([
      'devices/a/telemetry m1',
      'marker/x marker',
    ])
  })
})
