import { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { type Delivery, entryTime, PartitionStreams, streamKey } from '../../src/cluster/streams.js'
import type { Event } from '../../src/core/event.js'
import { useCleanup } from '../helpers/cleanup.js'
import { useRedis } from '../helpers/redis.js'

const cleanup = useCleanup()
const redis = useRedis()

function connection() {
  const conn = new Redis(redis.url)
  cleanup.push(() => conn.quit())
  return conn
}

const event = (n: number) => ({ device: 'd', data: { n } }) as unknown as Event

describe('a partition stream taken over from a window snapshot (real Redis)', () => {
  it('replays after the snapshot position: acknowledged entries muted, unacknowledged ones live, at their append time; then reads on', async () => {
    const admin = connection()
    const p = 1
    const key = streamKey(p)
    await admin.xgroup('CREATE', key, 'rules', '0', 'MKSTREAM')
    const ids: string[] = []
    for (let n = 1; n <= 6; n++)
      ids.push((await admin.xadd(key, '*', 'e', JSON.stringify(event(n)))) as string)
    // The old owner read 1..5, acknowledged 1..3, its snapshot covers 1..2; 6 is unread.
    await admin.xreadgroup('GROUP', 'rules', 'old', 'COUNT', 5, 'STREAMS', key, '>')
    await admin.xack(key, 'rules', ...ids.slice(0, 3))
    const pos = ids[1] as string

    const got: [number, string, Delivery][] = []
    const order: string[] = []
    const streams = new PartitionStreams(
      connection(),
      connection(),
      'new',
      100,
      (_p, e, id, how) => {
        order.push('deliver')
        got.push([(e.data as { n: number }).n, id, how])
      },
      () => undefined,
    )
    const floor = entryTime(ids[3] as string) // snapshot taken after entry 4 was appended
    await streams.takeover(p, { pos, at: floor }, () => order.push('restore'))
    expect(order[0]).toBe('restore')
    expect(got.map(([n, , how]) => [n, how.muted])).toEqual([
      [3, true],
      [4, false],
      [5, false],
    ])
    for (const [, id, how] of got) expect(how.at).toBe(Math.max(floor, entryTime(id)))
    expect(streams.stats).toMatchObject({ replayed: 1, claimed: 2 })
    expect(streams.lastDelivered.get(p)).toBe(ids[4])
    expect(((await admin.xpending(key, 'rules')) as [number])[0]).toBe(0)

    streams.start()
    cleanup.push(() => streams.stop())
    const until = Date.now() + 5000
    while (got.length < 4 && Date.now() < until) await new Promise((r) => setTimeout(r, 20))
    expect(got[3]?.slice(0, 2)).toEqual([6, ids[5]])
    expect(got[3]?.[2]).toEqual({})
  })

  it('reads a partition only while its lease surely outlives the read (a paused node does not take entries the next owner needs)', async () => {
    const admin = connection()
    const p = 3
    let leased = false
    const got: number[] = []
    const streams = new PartitionStreams(
      connection(),
      connection(),
      'fenced',
      100,
      (_p, e) => void got.push((e.data as { n: number }).n),
      () => undefined,
      () => leased,
    )
    await streams.takeover(p, { pos: null, at: null }, () => undefined)
    streams.start()
    cleanup.push(() => streams.stop())
    await admin.xadd(streamKey(p), '*', 'e', JSON.stringify(event(1)))
    await new Promise((r) => setTimeout(r, 400))
    expect(got).toEqual([])
    const groups = (await admin.xinfo('GROUPS', streamKey(p))) as unknown[][]
    expect(groups[0]?.[(groups[0]?.indexOf('lag') ?? 0) + 1]).toBe(1) // unread, there for the next owner
    leased = true
    const until = Date.now() + 5000
    while (got.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20))
    expect(got).toEqual([1])
  })
})
