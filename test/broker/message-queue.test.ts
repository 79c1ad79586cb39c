import type mqemitter from 'mqemitter'
import { describe, expect, it } from 'vitest'
import { createMessageQueue } from '../../src/broker/message-queue.js'

/**
 * A QoS 0 flood: one slow (async) subscriber holds the only concurrency slot while 50k messages queue up,
 * then every queued message completes synchronously (nobody else subscribed to its topic).
 */
async function flood(mq: ReturnType<typeof mqemitter>): Promise<{ order: number[] }> {
  const order: number[] = []
  await new Promise<void>((resolve) => mq.on('slow/#', (_m, done) => setTimeout(done, 5), resolve))
  await new Promise<void>((resolve) =>
    mq.on(
      'fast/+',
      (m, done) => {
        order.push((m as unknown as { n: number }).n)
        done()
      },
      resolve,
    ),
  )
  mq.emit({ topic: 'slow/x' })
  for (let n = 0; n < 50_000; n++) mq.emit({ topic: n % 2 ? 'fast/a' : 'nobody/b', n } as never)
  await new Promise<void>((resolve) => mq.emit({ topic: 'fast/end', n: -1 } as never, () => resolve()))
  return { order }
}

// With plain `mqemitter({ concurrency: 1 })` the same flood dies with "Maximum call stack size exceeded".
describe('broker message queue', () => {
  it('drains a long queue of synchronously completing messages without overflowing the stack, in order', async () => {
    const { order } = await flood(createMessageQueue(1))
    expect(order).toHaveLength(25_001)
    expect(order.slice(0, -1)).toEqual(Array.from({ length: 25_000 }, (_, i) => 2 * i + 1))
    expect(order.at(-1)).toBe(-1)
  })
})
