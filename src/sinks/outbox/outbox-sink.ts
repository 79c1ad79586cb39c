import type { DeadLetter } from '../../core/dead-letter.js'
import type { Logger } from '../../observability/logger.js'
import type { Chunk, ChunkMeta, ChunkStore, NewChunk } from '../../store/chunk-store.js'
import type { InfluxHttpClient } from '../influx/http-client.js'
import type { PointClass, PointSink, PointSinkStats } from '../sink.js'
import { BatchAborted, BatchAttempt } from './batch-attempt.js'
import { BatchSender, type DeliveryState } from './batch-sender.js'
import { chooseVictims } from './drop-policy.js'
import { GroupCommit } from './group-commit.js'

export interface OutboxOptions {
  /** Lines per write request. */
  batchSize: number
  /** Longest a line waits for a batch to fill. */
  flushIntervalMs: number
  /** Write requests in flight at once (1–2 keeps InfluxDB and a Pi comfortable). */
  concurrency: number
  /** Bound of the stored lines in bytes; beyond it the oldest chunks go (telemetry before alerts). */
  maxBytes: number
  commitIntervalMs: number
  createDatabase: boolean
  retryBaseMs: number
  retryCapMs: number
  authRetryMs: number
}

interface Batch {
  chunks: ChunkMeta[]
  /** The chunks' lines, newline-joined: the request body as is. */
  text: string
  lines: number
  attempt: BatchAttempt
}

/**
 * The outbox between the event stream and InfluxDB. A line is accepted once a group commit stored it;
 * it leaves the store only after InfluxDB answered 2xx for it (or rejected it: dead letter). Delivery
 * reads chunks in order into batches and hands them to the BatchSender; the store is bounded in bytes.
 */
export class OutboxSink implements PointSink {
  private readonly committer: GroupCommit
  private readonly sender: BatchSender
  private readonly delivery: DeliveryState = {
    retried: 0,
    lastError: null,
    reachable: false,
    authFailed: false,
  }
  private readonly totals = { lines: 0, bytes: 0 }
  private readonly counters = { accepted: 0, delivered: 0, rejected: 0 }
  private readonly dropped: Record<string, number> = {}
  /** The next seq not yet read into a batch (chunks below it are in flight or gone). */
  private cursor = 0
  private unsentLines = 0
  private unsentSince = 0
  private readonly inFlight = new Map<number, Batch>()
  private readonly running = new Set<Promise<void>>()
  private readonly removing = new Set<number>()
  private readonly removals = new Set<Promise<void>>()
  private oldestStoredAt: number | null = null
  private flushTimer: NodeJS.Timeout | null = null
  private draining = false
  private open = false
  private lastDropLog = 0
  private droppedSinceLog = 0

  constructor(
    private readonly store: ChunkStore,
    private readonly client: InfluxHttpClient,
    private readonly options: OutboxOptions,
    private readonly logger: Logger,
    private readonly deadLetter: (d: DeadLetter) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {
    this.committer = new GroupCommit(
      {
        commitIntervalMs: options.commitIntervalMs,
        chunkLines: Math.max(1, Math.floor(options.batchSize / 4)),
      },
      (chunks) => this.store.append(chunks),
      (metas) => this.onCommitted(metas),
      (err, chunks) => this.onCommitFailed(err, chunks),
      now,
    )
    this.sender = new BatchSender(
      client,
      {
        retryBaseMs: options.retryBaseMs,
        retryCapMs: options.retryCapMs,
        authRetryMs: options.authRetryMs,
        createDatabase: options.createDatabase,
      },
      this.delivery,
      logger,
      (line, status, message) => this.onRejected(line, status, message),
    )
  }

  async start(): Promise<void> {
    const left = await this.store.open()
    this.open = true
    this.totals.lines = left.lines
    this.totals.bytes = left.bytes
    this.unsentLines = left.lines
    this.unsentSince = left.lines > 0 ? 0 : this.now()
    if (left.lines > 0)
      this.logger.info(
        { points: left.lines, bytes: left.bytes },
        'outbox: draining what the previous run left',
      )
    if (this.options.createDatabase && this.client.api === 'v1') {
      try {
        await this.client.createDatabase()
        this.delivery.reachable = true
      } catch (err) {
        // Not fatal: the outbox keeps accepting and retries until InfluxDB is back.
        this.delivery.lastError = (err as Error).message
        this.logger.warn(
          { err: this.delivery.lastError },
          'InfluxDB not reachable at start; buffering in the outbox',
        )
      }
    } else {
      this.delivery.reachable = await this.client.ping()
    }
    this.pump()
  }

  write(line: string, klass: PointClass): void {
    this.committer.add(line, klass)
  }

  whenAccepted(callback: () => void): void {
    this.committer.whenCommitted(callback)
  }

  private onCommitted(metas: ChunkMeta[]): void {
    for (const m of metas) {
      this.totals.lines += m.lines
      this.totals.bytes += m.bytes
      this.counters.accepted += m.lines
      if (this.unsentLines === 0) this.unsentSince = m.firstAt
      this.unsentLines += m.lines
      if (this.oldestStoredAt === null && this.totals.lines === m.lines) this.oldestStoredAt = m.firstAt
    }
    this.enforceBound()
    this.pump()
  }

  private onCommitFailed(err: Error, chunks: NewChunk[]): void {
    const lines = chunks.reduce((n, c) => n + c.lines.length, 0)
    this.count('store_error', lines)
    this.delivery.lastError = `outbox store: ${err.message}`
    this.logger.error({ err: err.message, points: lines }, 'outbox commit failed; points not accepted')
  }

  private onRejected(line: string, status: number, message: string): void {
    this.count('influx_rejected', 1)
    const space = line.indexOf(' ')
    const head = space < 0 ? line : line.slice(0, space)
    const device = /,device=((?:\\.|[^,\\])+)/.exec(head)?.[1]
    const dead: DeadLetter = {
      reason: 'influx_rejected',
      topic: `influx/${head.split(',')[0] ?? ''}`,
      payload: line,
      encoding: 'utf8',
      errors: [`HTTP ${status}: ${message}`],
      at: this.now(),
    }
    if (device !== undefined) dead.device = device
    this.deadLetter(dead)
  }

  private count(reason: string, lines: number): void {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + lines
  }

  /** Starts batches while there is room, when a full batch is waiting or the oldest line waited long enough. */
  private pump(): void {
    if (!this.open) return
    if (this.flushTimer) {
      clearTimeout(this.flushTimer)
      this.flushTimer = null
    }
    while (this.running.size < this.options.concurrency && this.unsentLines > 0) {
      const waited = this.now() - this.unsentSince
      if (
        !this.draining &&
        this.unsentLines < this.options.batchSize &&
        waited < this.options.flushIntervalMs
      ) {
        this.flushTimer = setTimeout(() => this.pump(), this.options.flushIntervalMs - waited)
        this.flushTimer.unref()
        return
      }
      const chunks = this.store.readFrom(this.cursor, this.options.batchSize, (seq) => this.isBusy(seq))
      if (chunks.length === 0) {
        this.unsentLines = 0 // nothing left to read: the count drifted (cannot happen, but never spin)
        return
      }
      this.startBatch(chunks)
    }
  }

  private isBusy(seq: number): boolean {
    return this.inFlight.has(seq) || this.removing.has(seq)
  }

  private startBatch(chunks: Chunk[]): void {
    const text = chunks.length === 1 ? (chunks[0] as Chunk).text : chunks.map((c) => c.text).join('\n')
    const batch: Batch = { chunks, text, lines: 0, attempt: new BatchAttempt() }
    for (const c of chunks) {
      batch.lines += c.lines
      this.inFlight.set(c.seq, batch)
      this.unsentLines -= c.lines
    }
    this.cursor = Math.max(this.cursor, (chunks[chunks.length - 1] as Chunk).seq + 1)
    const run = this.runBatch(batch).finally(() => {
      this.running.delete(run)
      this.pump()
    })
    this.running.add(run)
  }

  private async runBatch(batch: Batch): Promise<void> {
    let outcome: Awaited<ReturnType<BatchSender['send']>>
    try {
      outcome = await this.sender.send(batch.text, batch.lines, batch.attempt)
    } catch (err) {
      if (err instanceof BatchAborted) return // dropped (accounted already) or shutdown (stays stored)
      // A bug, not InfluxDB: keep the lines and try them again later rather than crash or lose them.
      this.logger.error({ err: (err as Error).message }, 'outbox: delivering a batch failed unexpectedly')
      this.requeue(batch, new Set())
      return
    }
    this.release(batch.chunks, batch)
    this.counters.delivered += outcome.delivered
    this.counters.rejected += outcome.rejected
    this.forget(batch.chunks)
    // InfluxDB is back: the other batch need not wait out its backoff.
    for (const other of new Set(this.inFlight.values())) other.attempt.wake()
  }

  /** Forgets chunks from the in-flight index, unless a newer batch took them over. */
  private release(chunks: readonly ChunkMeta[], batch: Batch): void {
    for (const c of chunks) if (this.inFlight.get(c.seq) === batch) this.inFlight.delete(c.seq)
  }

  /** Puts a batch's chunks (except `leaving`) back in the queue: the cursor moves back, order is kept. */
  private requeue(batch: Batch, leaving: ReadonlySet<number>): void {
    this.release(batch.chunks, batch)
    for (const c of batch.chunks) {
      if (leaving.has(c.seq)) continue
      this.cursor = Math.min(this.cursor, c.seq)
      this.unsentLines += c.lines
      this.unsentSince = Math.min(this.unsentSince, c.firstAt)
    }
  }

  /** Removes chunks from the store and the totals (delivered or dropped). */
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
        this.logger.error(
          { err: (err as Error).message },
          'outbox: removing chunks failed; they will be sent again',
        )
      })
      .finally(() => {
        for (const c of chunks) this.removing.delete(c.seq)
        this.removals.delete(removal)
      })
    this.removals.add(removal)
  }

  /** Over the byte bound: drop the oldest chunks, telemetry before alerts; batches waiting to retry give theirs up. */
  private enforceBound(): void {
    const excess = this.totals.bytes - this.options.maxBytes
    if (excess <= 0) return
    const victims = chooseVictims(
      () => this.store.metas(),
      excess,
      (seq) => this.removing.has(seq) || this.inFlight.get(seq)?.attempt.droppable === false,
    )
    if (victims.length === 0) return
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
    const lines = victims.reduce((n, v) => n + v.lines, 0)
    this.count('buffer_full', lines)
    this.forget(victims)
    this.logDrop(lines)
  }

  /** At most one warning per 10 s, with everything dropped since the last one. */
  private logDrop(lines: number): void {
    this.droppedSinceLog += lines
    const t = this.now()
    if (t - this.lastDropLog < 10_000) return
    this.logger.warn(
      {
        points: this.droppedSinceLog,
        maxBytes: this.options.maxBytes,
        totalDropped: this.dropped['buffer_full'],
      },
      'outbox full: oldest points dropped (reason=buffer_full)',
    )
    this.lastDropLog = t
    this.droppedSinceLog = 0
  }

  async flush(deadlineMs = 10_000): Promise<void> {
    const until = this.now() + deadlineMs
    await this.committer.commit()
    this.draining = true
    this.sender.draining = true
    try {
      for (const batch of new Set(this.inFlight.values())) batch.attempt.wake()
      this.pump()
      while ((this.totals.lines > 0 || this.committer.pendingLines > 0) && this.now() < until) {
        if (this.committer.pendingLines > 0) await this.committer.commit()
        await new Promise((r) => setTimeout(r, 20))
      }
    } finally {
      this.draining = false
      this.sender.draining = false
    }
  }

  async close(deadlineMs = 10_000): Promise<void> {
    if (!this.open) return
    await this.flush(deadlineMs)
    this.open = false
    this.committer.stop()
    if (this.flushTimer) clearTimeout(this.flushTimer)
    for (const batch of new Set(this.inFlight.values())) batch.attempt.abort('shutdown')
    await Promise.allSettled([...this.running])
    await Promise.allSettled([...this.removals])
    await this.store.close()
    if (this.totals.lines > 0) {
      if (this.store.durable)
        this.logger.warn({ points: this.totals.lines }, 'outbox: points kept on disk for the next start')
      else
        this.logger.error({ points: this.totals.lines }, 'in-memory buffer: points not delivered at shutdown')
    }
  }

  stats(): PointSinkStats {
    return {
      durable: this.store.durable,
      pendingPoints: this.totals.lines + this.committer.pendingLines,
      pendingBytes: this.totals.bytes + this.committer.pendingBytes,
      oldestPendingAgeMs: this.oldestAge(),
      accepted: this.counters.accepted,
      delivered: this.counters.delivered,
      retried: this.delivery.retried,
      dropped: { ...this.dropped },
      lastError: this.delivery.lastError,
      reachable: this.delivery.reachable,
      authFailed: this.delivery.authFailed,
    }
  }

  private oldestAge(): number {
    if (this.oldestStoredAt === null && this.open && this.totals.lines > 0) {
      for (const meta of this.store.metas()) {
        if (this.removing.has(meta.seq)) continue
        this.oldestStoredAt = meta.firstAt
        break
      }
    }
    const stored = this.totals.lines > 0 ? this.oldestStoredAt : null
    const pending = this.committer.pendingLines > 0 ? this.committer.oldestPendingAt : null
    const oldest = Math.min(stored ?? Number.POSITIVE_INFINITY, pending ?? Number.POSITIVE_INFINITY)
    return Number.isFinite(oldest) ? Math.max(0, this.now() - oldest) : 0
  }
}
