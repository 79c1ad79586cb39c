import type { Redis } from 'ioredis'
import type { Event } from '../core/event.js'

export const streamKey = (p: number) => `tidegate:cluster:events:${p}`
const GROUP = 'rules'
const LIVE: Delivery = {}
/** Entries per XADD pipeline and per XREADGROUP. */
const BATCH = 500
/** How long a read waits for entries. */
const READ_BLOCK_MS = 100
/** Time for the reply and its handling after a read's block, within the lease. */
const FENCE_SLACK_MS = 100

export interface StreamStats {
  appended: number
  /** Events that found the buffer full while Redis was unreachable: counted, dead-lettered, not handed over. */
  dropped: number
  delivered: number
  claimed: number
  /** Entries the previous owner had acknowledged, replayed muted on takeover to rebuild window state. */
  replayed: number
  /** Entries not yet read by the owners, summed over this node's partitions (refreshed each lease round). */
  lag: number
}

type Entries = [id: string, fields: string[]][]

/** How an entry reaches the rules: live, or replayed on takeover at the time it was appended. */
export interface Delivery {
  /** Processing time to use (replayed entries only). */
  at?: number
  /**
   * A replayed entry the previous owner acknowledged: it only rebuilds window state, its effects were
   * published already.
   */
  muted?: boolean
}

/** The time part of a stream entry id (Redis' clock when it was appended). */
export const entryTime = (id: string) => Number(id.slice(0, id.indexOf('-')))

/** Where a takeover starts: the snapshot's stream position and when it was taken. */
export interface ReplayFrom {
  pos: string | null
  at: number | null
}

/**
 * The partition streams: every ingested event is appended (XADD) to its partition's stream; the owner of a
 * partition reads it through the consumer group `rules` (XREADGROUP), hands each event to its rule engine
 * in order and acknowledges it after (XACK). The window snapshots trim what their position covers. On
 * takeover the entries after the snapshot are replayed and the previous owner's pending entries claimed
 * (XAUTOCLAIM). While Redis is unreachable appends wait in a bounded buffer, in order.
 */
export class PartitionStreams {
  readonly stats: StreamStats = {
    appended: 0,
    dropped: 0,
    delivered: 0,
    claimed: 0,
    replayed: 0,
    lag: 0,
  }
  /** Partitions this node reads. */
  readonly reading = new Set<number>()
  /** Per partition read: the last entry handed to the rules (a window snapshot's position). */
  readonly lastDelivered = new Map<number, string>()
  private buffer: { p: number; json: string }[] = []
  private flushing: Promise<void> | null = null
  private running = false
  private stopping = false
  private loop: Promise<void> | null = null
  /** The read in flight (see release). */
  private iteration: Promise<void> = Promise.resolve()

  constructor(
    private readonly redis: Redis,
    /** A connection of its own: XREADGROUP blocks it. */
    private readonly reader: Redis,
    private readonly nodeId: string,
    private readonly maxBuffered: number,
    private readonly deliver: (p: number, event: Event, entryId: string, how: Delivery) => void,
    private readonly onDrop: (event: Event) => void,
    /** Whether this node's lease of `p` holds for `marginMs` more (Leases.holds): reads are fenced by it. */
    private readonly holds: (p: number, marginMs: number) => boolean = () => true,
  ) {}

  get buffered(): number {
    return this.buffer.length
  }

  append(p: number, event: Event): void {
    if (this.buffer.length >= this.maxBuffered) {
      this.stats.dropped++
      this.onDrop(event)
      return
    }
    this.buffer.push({ p, json: JSON.stringify(event) })
    this.flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flush())
  }

  start(): void {
    this.running = true
    this.loop = this.readLoop()
  }

  /** Stops reading; what still waits for Redis gets one more try, then is counted as dropped. */
  async stop(): Promise<number> {
    this.running = false
    this.stopping = true
    await this.loop
    await this.flushing
    await this.flush()
    const left = this.buffer.length
    this.stats.dropped += left
    this.buffer = []
    return left
  }

  /**
   * Takes a partition over from its snapshot position: makes sure the group exists, claims what the
   * previous owner read but did not acknowledge, and replays the entries after the snapshot up to what the
   * group had read, in order, at the time each was appended (not before the snapshot was taken). Entries
   * the previous owner acknowledged are replayed muted (they rebuild windows; their effects were out
   * already); the unacknowledged ones normally. `restore` (the snapshot into the engine) runs right before
   * the replay. Then the partition is read on from the group's position.
   */
  async takeover(p: number, from: ReplayFrom, restore: () => void): Promise<void> {
    const key = streamKey(p)
    await this.redis.xgroup('CREATE', key, GROUP, '0', 'MKSTREAM').catch((err: Error) => {
      if (!err.message.includes('BUSYGROUP')) throw err
    })
    const pending = new Set<string>()
    let cursor = '0-0'
    do {
      const reply = (await this.redis.xautoclaim(
        key,
        GROUP,
        this.nodeId,
        0,
        cursor,
        'COUNT',
        BATCH,
        'JUSTID',
      )) as [string, string[]]
      cursor = reply[0]
      for (const id of reply[1]) pending.add(id)
    } while (cursor !== '0-0')
    const read = await this.groupPosition(key)
    const entries: Entries = []
    let start = from.pos === null ? '-' : `(${from.pos}`
    while (read !== null) {
      const batch = (await this.redis.xrange(key, start, read, 'COUNT', BATCH)) as Entries
      for (const e of batch) entries.push(e)
      if (batch.length < BATCH) break
      start = `(${(batch[batch.length - 1] as Entries[number])[0]}`
    }
    // Restore and replay at once, with no await in between: no clock step of the engine may close a
    // restored window before the entries that belong in it are back.
    restore()
    const floor = from.at ?? 0
    const now = Date.now()
    for (const [id, fields] of entries) {
      const json = fields[1]
      if (json === undefined) continue
      const at = Math.min(now, Math.max(floor, entryTime(id)))
      const muted = !pending.has(id)
      this.deliver(p, JSON.parse(json) as Event, id, { at, muted })
      if (muted) this.stats.replayed++
      else this.stats.claimed++
      this.stats.delivered++
    }
    const last = entries[entries.length - 1]?.[0] ?? from.pos
    if (last !== null) this.lastDelivered.set(p, last)
    // Claimed entries at or before the snapshot position are in the snapshot already: acknowledged only.
    const ids = [...pending]
    for (let i = 0; i < ids.length; i += BATCH) await this.redis.xack(key, GROUP, ...ids.slice(i, i + BATCH))
    this.reading.add(p)
  }

  /** The last entry the group handed to any consumer (null: none yet). */
  private async groupPosition(key: string): Promise<string | null> {
    const groups = (await this.redis.xinfo('GROUPS', key)) as unknown[][]
    for (const g of groups) {
      const i = g.indexOf('name')
      if (g[i + 1] !== GROUP) continue
      const j = g.indexOf('last-delivered-id')
      const id = String(g[j + 1] ?? '0-0')
      return id === '0-0' ? null : id
    }
    return null
  }

  /** Entries of this node's partitions no owner has read yet (XINFO GROUPS lag, Redis 7). */
  async refreshLag(): Promise<void> {
    let lag = 0
    for (const p of this.reading) {
      const groups = (await this.redis.xinfo('GROUPS', streamKey(p))) as unknown[][]
      const fields = groups[0] ?? []
      const i = fields.indexOf('lag')
      lag += i >= 0 ? Number(fields[i + 1] ?? 0) : 0
    }
    this.stats.lag = lag
  }

  private async flush(): Promise<void> {
    while (this.buffer.length > 0) {
      const batch = this.buffer.slice(0, BATCH)
      const pipeline = this.redis.pipeline()
      for (const { p, json } of batch) pipeline.xadd(streamKey(p), '*', 'e', json)
      try {
        const results = (await pipeline.exec()) ?? []
        if (results.some(([err]) => err)) throw results.find(([err]) => err)?.[0]
      } catch {
        // Redis unreachable: keep them, in order, and try again shortly (a stopping node gives up).
        if (this.stopping) break
        await new Promise((r) => setTimeout(r, 500))
        continue
      }
      this.buffer.splice(0, batch.length)
      this.stats.appended += batch.length
    }
    this.flushing = null
  }

  /**
   * Stops reading `p` and waits for a read in flight: entries it brings for `p` stay pending in the group
   * (undelivered), where the next owner's takeover claims them. Without the wait a read blocked from
   * before could take entries after the next owner's takeover, leaving them pending here for good.
   */
  async release(p: number): Promise<void> {
    this.reading.delete(p)
    await this.iteration
  }

  private async readLoop(): Promise<void> {
    while (this.running) {
      this.iteration = this.readOnce()
      await this.iteration
    }
  }

  private async readOnce(): Promise<void> {
    // Only partitions whose lease outlives this read: a read returning after the lease could have moved
    // would take entries the next owner's takeover no longer sees.
    const partitions = [...this.reading].filter((p) => this.holds(p, READ_BLOCK_MS + FENCE_SLACK_MS))
    if (partitions.length === 0) {
      await new Promise((r) => setTimeout(r, 50))
      return
    }
    try {
      const keys = partitions.map(streamKey)
      const reply = (await this.reader.xreadgroup(
        'GROUP',
        GROUP,
        this.nodeId,
        'COUNT',
        BATCH,
        'BLOCK',
        READ_BLOCK_MS,
        'STREAMS',
        ...keys,
        ...keys.map(() => '>'),
      )) as [string, Entries][] | null
      for (const [key, entries] of reply ?? []) {
        const p = Number(key.slice(key.lastIndexOf(':') + 1))
        // Given away meanwhile (or the lease is in doubt): leave them pending for the new owner to claim.
        if (this.reading.has(p) && this.holds(p, 0)) await this.handle(p, entries)
      }
    } catch {
      await new Promise((r) => setTimeout(r, 200))
    }
  }

  private async handle(p: number, entries: Entries): Promise<void> {
    if (entries.length === 0) return
    const ids: string[] = []
    for (const [id, fields] of entries) {
      ids.push(id)
      const json = fields[1]
      if (json === undefined) continue
      this.deliver(p, JSON.parse(json) as Event, id, LIVE)
      this.stats.delivered++
    }
    this.lastDelivered.set(p, ids[ids.length - 1] as string)
    // No trim here: the stream keeps what came after the last window snapshot (window-snapshot.ts trims).
    await this.redis.xack(streamKey(p), GROUP, ...ids)
  }
}
