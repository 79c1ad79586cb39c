import type { Redis } from 'ioredis'
import type { Event } from '../core/event.js'

export const streamKey = (p: number) => `tidegate:cluster:events:${p}`
const GROUP = 'rules'
/** Entries per XADD pipeline and per XREADGROUP. */
const BATCH = 500

export interface StreamStats {
  appended: number
  /** Events that found the buffer full while Redis was unreachable: counted, dead-lettered, not handed over. */
  dropped: number
  delivered: number
  claimed: number
  /** Entries not yet read by the owners, summed over this node's partitions (refreshed each lease round). */
  lag: number
}

type Entries = [id: string, fields: string[]][]

/**
 * The partition streams: every ingested event is appended (XADD) to its partition's stream; the owner of a
 * partition reads it through the consumer group `rules` (XREADGROUP), hands each event to its rule engine
 * in order and acknowledges it after (XACK), then trims what all have read. On takeover the previous
 * owner's pending entries are claimed first (XAUTOCLAIM). While Redis is unreachable appends wait in a
 * bounded buffer, in order.
 */
export class PartitionStreams {
  readonly stats: StreamStats = { appended: 0, dropped: 0, delivered: 0, claimed: 0, lag: 0 }
  /** Partitions this node reads. */
  readonly reading = new Set<number>()
  private buffer: { p: number; json: string }[] = []
  private flushing: Promise<void> | null = null
  private running = false
  private stopping = false
  private loop: Promise<void> | null = null

  constructor(
    private readonly redis: Redis,
    /** A connection of its own: XREADGROUP blocks it. */
    private readonly reader: Redis,
    private readonly nodeId: string,
    private readonly maxBuffered: number,
    private readonly deliver: (p: number, event: Event, entryId: string) => void,
    private readonly onDrop: (event: Event) => void,
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

  /** Makes sure the group exists, then delivers what the previous owner read but did not acknowledge. */
  async claim(p: number): Promise<void> {
    const key = streamKey(p)
    await this.redis.xgroup('CREATE', key, GROUP, '0', 'MKSTREAM').catch((err: Error) => {
      if (!err.message.includes('BUSYGROUP')) throw err
    })
    let cursor = '0-0'
    do {
      const reply = (await this.redis.xautoclaim(key, GROUP, this.nodeId, 0, cursor, 'COUNT', BATCH)) as [
        string,
        Entries,
      ]
      cursor = reply[0]
      this.stats.claimed += reply[1].length
      await this.handle(p, reply[1])
    } while (cursor !== '0-0')
    this.reading.add(p)
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

  private async readLoop(): Promise<void> {
    while (this.running) {
      const partitions = [...this.reading]
      if (partitions.length === 0) {
        await new Promise((r) => setTimeout(r, 50))
        continue
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
          100,
          'STREAMS',
          ...keys,
          ...keys.map(() => '>'),
        )) as [string, Entries][] | null
        for (const [key, entries] of reply ?? []) {
          const p = Number(key.slice(key.lastIndexOf(':') + 1))
          // Given away meanwhile: leave them pending for the new owner to claim.
          if (this.reading.has(p)) await this.handle(p, entries)
        }
      } catch {
        await new Promise((r) => setTimeout(r, 200))
      }
    }
  }

  private async handle(p: number, entries: Entries): Promise<void> {
    if (entries.length === 0) return
    const ids: string[] = []
    for (const [id, fields] of entries) {
      ids.push(id)
      const json = fields[1]
      // A claimed entry can be gone (trimmed): XAUTOCLAIM reports it without fields.
      if (json === undefined) continue
      this.deliver(p, JSON.parse(json) as Event, id)
      this.stats.delivered++
    }
    const key = streamKey(p)
    await this.redis.xack(key, GROUP, ...ids)
    // Everything before the last acknowledged entry is read and acknowledged: the stream keeps the rest only.
    await this.redis.xtrim(key, 'MINID', '~', ids[ids.length - 1] as string)
  }
}
