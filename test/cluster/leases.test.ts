import { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { leaseKey, Leases } from '../../src/cluster/leases.js'
import { useCleanup } from '../helpers/cleanup.js'
import { useRedis } from '../helpers/redis.js'

const cleanup = useCleanup()
const redis = useRedis()

function leases(nodeId: string, ttlMs: number) {
  // This file's own redis-server: the key space is the test's.
  const conn = new Redis(redis.url)
  cleanup.push(() => conn.quit())
  const log: string[] = []
  const l = new Leases(conn, nodeId, 6, ttlMs, {
    acquired: async (p) => void log.push(`+${p}`),
    releasing: async (p) => void log.push(`-${p}`),
    lost: (p) => void log.push(`lost ${p}`),
  })
  return { l, log }
}

describe('partition leases in Redis', () => {
  it('rebalance on join, takeover after a node stops renewing (TTL), renewals keep what is held', async () => {
    const a = leases('a', 400)
    const b = leases('b', 400)
    await a.l.round()
    expect([...a.l.owned].sort()).toEqual([0, 1, 2, 3, 4, 5])
    await b.l.round() // b is live now; nothing free yet
    expect(b.l.owned.size).toBe(0)
    await a.l.round() // a sees two live nodes and gives back half
    expect(a.l.owned.size).toBe(3)
    await b.l.round()
    expect(b.l.owned.size).toBe(3)
    // b stops renewing (a dead node): after the TTL its partitions are free and a takes them.
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, 100))
      await a.l.round() // a renews within its TTL all along
    }
    expect(a.l.owned.size).toBe(6)
    expect(a.log.filter((e) => e.startsWith('+')).length).toBe(9)
    // b comes back from a pause: its renewals fail, it learns it lost them.
    await b.l.round()
    expect(b.log.filter((e) => e.startsWith('lost')).length).toBe(3)
  })

  it('a takeover that fails midway gives the lease back whole; the next round takes the partition again', async () => {
    const conn = new Redis(redis.url)
    cleanup.push(() => conn.quit())
    await conn.flushall()
    const log: string[] = []
    let failOnce = true
    const l = new Leases(conn, 'c', 1, 5000, {
      acquired: async (p) => {
        log.push(`+${p}`)
        if (failOnce) {
          failOnce = false
          throw new Error('redis went away')
        }
      },
      releasing: async (p) => void log.push(`-${p}`),
      lost: (p) => void log.push(`lost ${p}`),
    })
    await expect(l.round()).rejects.toThrow('redis went away')
    expect(l.holds(0)).toBe(false)
    expect(l.owned.size).toBe(0)
    expect(await conn.get(leaseKey(0))).toBeNull()
    await l.round()
    expect([...l.owned]).toEqual([0])
    // Held for the TTL from before the SET, less a margin; not beyond.
    expect(l.holds(0, 4000)).toBe(true)
    expect(l.holds(0, 5000)).toBe(false)
    expect(log).toEqual(['+0', 'lost 0', '+0'])
  })
})
