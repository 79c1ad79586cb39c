import type { Redis } from 'ioredis'
import { planLeases } from './lease-plan.js'
import { partitionOf } from './partition.js'

/** Extends the lease only while this node still holds it (compare-and-extend). */
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`
/** Gives the lease back only if this node holds it. */
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`

export const leaseKey = (p: number) => `tidegate:cluster:lease:${p}`
const nodeKey = (id: string) => `tidegate:cluster:node:${id}`
const NODE_PATTERN = 'tidegate:cluster:node:*'

export interface LeaseHooks {
  /** This node now owns `p`: load its state and claim what its previous owner left unacknowledged. */
  acquired(p: number): Promise<void>
  /** This node gives `p` back (rebalance or stop): stop feeding it before the lease goes. */
  releasing(p: number): Promise<void>
  /** The lease expired under this node (it missed renewals): another node may own it already. */
  lost(p: number): void
}

/**
 * Partition leases in Redis: `SET lease NX PX ttl` to take one, a Lua compare-and-extend to renew, a
 * heartbeat key per node (PX ttl) to know the live nodes. One `round()` renews, rebalances towards
 * ceil(partitions / live nodes) and takes free partitions; the caller runs it every ttl/3.
 */
export class Leases {
  readonly owned = new Set<number>()
  liveNodes = 0
  /** Per owned partition: until when its lease surely holds (asked before the last SET/renewal + TTL). */
  private readonly validUntil = new Map<number, number>()
  private readonly startAt: number

  constructor(
    private readonly redis: Redis,
    private readonly nodeId: string,
    private readonly partitions: number,
    private readonly ttlMs: number,
    private readonly hooks: LeaseHooks,
  ) {
    this.startAt = partitionOf(nodeId, partitions)
  }

  async round(): Promise<void> {
    const me = this.nodeId
    await this.redis.set(nodeKey(me), '1', 'PX', this.ttlMs)
    for (const p of [...this.owned]) {
      const asked = Date.now()
      const renewed = await this.redis.eval(RENEW, 1, leaseKey(p), me, this.ttlMs)
      if (renewed !== 0) this.validUntil.set(p, asked + this.ttlMs)
      else {
        this.owned.delete(p)
        this.validUntil.delete(p)
        this.hooks.lost(p)
      }
    }
    const live = await this.liveNodeIds()
    this.liveNodes = live.length
    const keys = Array.from({ length: this.partitions }, (_, p) => leaseKey(p))
    const owners = await this.redis.mget(...keys)
    const plan = planLeases({ me, live, owners }, this.startAt)
    for (const p of plan.release) await this.release(p)
    for (const p of plan.acquire) {
      const asked = Date.now()
      const ok = await this.redis.set(leaseKey(p), me, 'PX', this.ttlMs, 'NX')
      if (ok !== 'OK') continue
      this.validUntil.set(p, asked + this.ttlMs)
      this.owned.add(p)
      try {
        await this.hooks.acquired(p)
      } catch (err) {
        // Half taken over (Redis went away meanwhile): give it back whole, a next round takes it again.
        this.owned.delete(p)
        this.validUntil.delete(p)
        this.hooks.lost(p)
        await this.redis.eval(RELEASE, 1, leaseKey(p), me).catch(() => undefined)
        throw err
      }
    }
  }

  /**
   * True while this node's lease of `p` surely holds for `marginMs` more: a node that misses renewals
   * (paused, Redis slow) stops reading before another node can take the partition, instead of noticing
   * only at its next round.
   */
  holds(p: number, marginMs = 0): boolean {
    return (this.validUntil.get(p) ?? 0) - marginMs > Date.now()
  }

  /** Gives every partition back and stops the heartbeat (a clean stop: the others take over at once). */
  async releaseAll(): Promise<void> {
    for (const p of [...this.owned]) await this.release(p)
    await this.redis.del(nodeKey(this.nodeId))
  }

  private async release(p: number): Promise<void> {
    await this.hooks.releasing(p)
    this.owned.delete(p)
    this.validUntil.delete(p)
    await this.redis.eval(RELEASE, 1, leaseKey(p), this.nodeId)
  }

  private async liveNodeIds(): Promise<string[]> {
    const ids: string[] = []
    let cursor = '0'
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', NODE_PATTERN, 'COUNT', 1000)
      cursor = next
      for (const k of keys) ids.push(k.slice(NODE_PATTERN.length - 1))
    } while (cursor !== '0')
    return ids
  }
}
