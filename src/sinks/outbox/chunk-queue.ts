import type { Logger } from '../../observability/logger.js'
import type { Chunk, ChunkMeta, ChunkStore, StoreTotals } from '../../store/chunk-store.js'
import type { BatchAttempt } from './batch-attempt.js'
import type { DropAccess } from './drop-policy.js'

export interface Batch {
  chunks: ChunkMeta[]
  /** The chunks' lines, newline-joined, UTF-8: the request body as is. */
  body: Buffer
  lines: number
  attempt: BatchAttempt
}

/**
 * The bookkeeping over the stored chunks: which wait to be sent (from `cursor` on), which are in a
 * batch in flight, which are being removed, and the totals that stats() and the byte bound read.
 * Every chunk is in exactly one of those states, so the counts stay exact without rescanning the store.
 */
export class ChunkQueue {
  readonly totals = { lines: 0, bytes: 0 }
  /** Lines stored and not in a batch yet. */
  unsentLines = 0
  /** When the oldest unsent line was written (at most; it only ever errs towards sending early). */
  unsentSince = 0
  /** The next seq not yet read into a batch (chunks below it are in flight or gone). */
  private cursor = 0
  private readonly inFlight = new Map<number, Batch>()
  private readonly removing = new Set<number>()
  private readonly removals = new Set<Promise<void>>()
  private oldestStoredAt: number | null = null

  constructor(
    private readonly store: ChunkStore,
    private readonly logger: Logger,
  ) {}

  /** What a previous run left: all of it is due now. */
  restore(left: StoreTotals): void {
    this.totals.lines = left.lines
    this.totals.bytes = left.bytes
    this.unsentLines = left.lines
    this.unsentSince = 0
  }

  added(metas: readonly ChunkMeta[]): void {
    for (const m of metas) {
      if (this.totals.lines === 0) this.oldestStoredAt = m.firstAt
      this.totals.lines += m.lines
      this.totals.bytes += m.bytes
      if (this.unsentLines === 0) this.unsentSince = m.firstAt
      this.unsentLines += m.lines
    }
  }

  /** Reads the next chunks in seq order into a batch of at most `maxLines` (one chunk at least). */
  nextBatch(maxLines: number, attempt: BatchAttempt): Batch | null {
    const chunks = this.store.readFrom(
      this.cursor,
      maxLines,
      (seq) => this.inFlight.has(seq) || this.removing.has(seq),
    )
    if (chunks.length === 0) {
      this.unsentLines = 0 // nothing left to read: the count drifted (cannot happen, but never spin)
      return null
    }
    const batch: Batch = { chunks, body: joinedBytes(chunks), lines: 0, attempt }
    for (const c of chunks) {
      batch.lines += c.lines
      this.inFlight.set(c.seq, batch)
      this.unsentLines -= c.lines
    }
    this.cursor = Math.max(this.cursor, (chunks[chunks.length - 1] as Chunk).seq + 1)
    return batch
  }

  batchesInFlight(): Set<Batch> {
    return new Set(this.inFlight.values())
  }

  /** The plugin has settled every line of the batch (landed or rejected): its chunks leave the store. */
  completed(batch: Batch): void {
    this.release(batch)
    this.forget(batch.chunks)
  }

  /** Puts a batch's chunks (except `leaving`) back in the queue: the cursor moves back, order is kept. */
  requeue(batch: Batch, leaving: ReadonlySet<number> = new Set()): void {
    this.release(batch)
    for (const c of batch.chunks) {
      if (leaving.has(c.seq)) continue
      this.cursor = Math.min(this.cursor, c.seq)
      this.unsentLines += c.lines
      this.unsentSince = Math.min(this.unsentSince, c.firstAt)
    }
  }

  /**
   * Whether the byte bound may take a chunk: not while it is being removed or its batch has settled part
   * of its lines (bisecting), and not yet while its request is on the wire (the lines may land).
   */
  dropAccess(seq: number): DropAccess {
    if (this.removing.has(seq)) return 'skip'
    const attempt = this.inFlight.get(seq)?.attempt
    if (!attempt) return 'take'
    if (attempt.settledAny) return 'skip'
    return attempt.onWire ? 'wait' : 'take'
  }

  /** Drops chunks: batches holding any of them are aborted and give the rest back. Returns the lines dropped. */
  drop(victims: readonly ChunkMeta[]): number {
    const victimSeqs = new Set(victims.map((v) => v.seq))
    const hit = new Set<Batch>()
    for (const v of victims) {
      const batch = this.inFlight.get(v.seq)
      if (batch) hit.add(batch)
      else this.unsentLines -= v.lines
    }
    for (const batch of hit) {
      batch.attempt.abort('dropped')
      this.requeue(batch, victimSeqs)
    }
    this.forget(victims)
    return victims.reduce((n, v) => n + v.lines, 0)
  }

  /** When the oldest stored line was written; null when the store is empty. Reads one key at most. */
  oldestFirstAt(): number | null {
    if (this.totals.lines === 0) return null
    if (this.oldestStoredAt === null) {
      for (const meta of this.store.metas()) {
        if (this.removing.has(meta.seq)) continue
        this.oldestStoredAt = meta.firstAt
        break
      }
    }
    return this.oldestStoredAt
  }

  /** Resolves once every removal issued so far is committed. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.removals])
  }

  /** Forgets a batch's chunks in the in-flight index, unless a newer batch took them over. */
  private release(batch: Batch): void {
    for (const c of batch.chunks) if (this.inFlight.get(c.seq) === batch) this.inFlight.delete(c.seq)
  }

  /** Takes chunks out of the totals and the store (delivered or dropped). */
  private forget(chunks: readonly ChunkMeta[]): void {
    if (chunks.length === 0) return
    for (const c of chunks) {
      this.totals.lines -= c.lines
      this.totals.bytes -= c.bytes
      this.removing.add(c.seq)
      if (this.oldestStoredAt !== null && c.firstAt <= this.oldestStoredAt) this.oldestStoredAt = null
    }
    const removal = this.store
      .remove(chunks)
      .catch((err: unknown) => {
        // They stay stored and go out again after a restart: a duplicate write (InfluxDB absorbs it; upstream it is at-least-once).
        this.logger.error({ err: (err as Error).message }, 'outbox: removing chunks failed')
      })
      .finally(() => {
        for (const c of chunks) this.removing.delete(c.seq)
        this.removals.delete(removal)
      })
    this.removals.add(removal)
  }
}

const NEWLINE = Buffer.from('\n')

/** The chunks' content newline-joined (one chunk: as is). */
function joinedBytes(chunks: readonly Chunk[]): Buffer {
  if (chunks.length === 1) return (chunks[0] as Chunk).content
  const parts: Buffer[] = []
  for (const c of chunks) {
    if (parts.length > 0) parts.push(NEWLINE)
    parts.push(c.content)
  }
  return Buffer.concat(parts)
}
