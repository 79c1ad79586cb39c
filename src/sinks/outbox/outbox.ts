import { type Clock, systemClock } from '../../core/clock.js'
import type { DeadLetter } from '../../core/dead-letter.js'
import type { Logger } from '../../observability/logger.js'
import type { ChunkMeta, ChunkStore } from '../../store/chunk-store.js'
import type { PointClass, PointSink, PointSinkStats } from '../sink.js'
import { BatchAborted, BatchAttempt } from './batch-attempt.js'
import { type Batch, ChunkQueue } from './chunk-queue.js'
import { Delivery, type DeliveryState } from './delivery.js'
import { chooseVictims } from './drop-policy.js'
import { GroupCommit } from './group-commit.js'
import type { OutputPlugin } from './output.js'

export interface OutboxOptions {
  /** Items per plugin write. */
  batchSize: number
  /** Longest a line waits for a batch to fill. */
  flushIntervalMs: number
  /** Writes in flight at once (1–2 keeps InfluxDB and a Pi comfortable; 1 keeps the order strict). */
  concurrency: number
  /** Bound of the stored lines in bytes; beyond it the oldest chunks go (telemetry before alerts). */
  maxBytes: number
  commitIntervalMs: number
  /** Commit window of telemetry that no acknowledgement waits for (GroupCommitOptions). */
  unackedCommitIntervalMs?: number
  retryBaseMs: number
  retryCapMs: number
}

const DROP_LOG_EVERY_MS = 10_000

/**
 * The outbox host (Telegraf's running_output + buffer): one durable queue in front of one output plugin.
 * An item (a line) is accepted once a group commit stored it; it leaves the store only after the plugin
 * says it landed (or was refused for good: a dead letter). Delivery reads chunks in order into batches
 * (by count, or when the oldest waited flushInterval) and hands them to the plugin through Delivery
 * (retry, backoff); past `maxBytes` the oldest chunks are dropped and counted. Nothing here knows what
 * the destination is.
 */
export class Outbox implements PointSink {
  private readonly committer: GroupCommit
  private readonly sender: Delivery
  private readonly queue: ChunkQueue
  private readonly delivery: DeliveryState = { retried: 0, lastError: null }
  private readonly counters = { accepted: 0, delivered: 0 }
  private readonly dropped: Record<string, number> = {}
  private readonly running = new Set<Promise<void>>()
  private flushTimer: unknown = null
  private draining = false
  private open = false
  private lastDropLog = Number.NEGATIVE_INFINITY
  private droppedSinceLog = 0

  constructor(
    private readonly store: ChunkStore,
    private readonly plugin: OutputPlugin,
    private readonly options: OutboxOptions,
    private readonly logger: Logger,
    private readonly deadLetter: (d: DeadLetter) => void = () => {},
    private readonly clock: Clock = systemClock,
  ) {
    this.queue = new ChunkQueue(store, logger)
    this.committer = new GroupCommit(
      {
        commitIntervalMs: options.commitIntervalMs,
        unackedCommitIntervalMs: options.unackedCommitIntervalMs,
        // A batch is whole chunks: quarter-batch chunks fill a batch to at least three quarters.
        chunkLines: Math.max(1, Math.floor(options.batchSize / 4)),
      },
      (chunks) => this.store.append(chunks),
      (metas) => this.onCommitted(metas),
      (err, lines) => this.onCommitFailed(err, lines),
      clock,
    )
    this.sender = new Delivery(
      plugin,
      { retryBaseMs: options.retryBaseMs, retryCapMs: options.retryCapMs },
      this.delivery,
      logger,
      (item, rejection) => {
        this.count(rejection.reason, 1)
        this.deadLetter(plugin.deadLetter(item, rejection, this.clock.now()))
      },
    )
  }

  async start(): Promise<void> {
    const left = await this.store.open()
    this.open = true
    this.queue.restore(left)
    this.enforceBound() // maxBytes may have been lowered since the last run
    if (left.lines > 0)
      this.logger.info(
        { points: left.lines, bytes: left.bytes },
        'outbox: draining what the previous run left',
      )
    this.plugin.onReady?.(() => {
      for (const batch of this.queue.batchesInFlight()) batch.attempt.wake()
    })
    // Not fatal when the destination is down: the outbox keeps accepting and retries until it is back.
    await this.plugin.connect()
    this.pump()
  }

  write(line: string, klass: PointClass): void {
    this.committer.add(line, klass)
  }

  whenAccepted(callback: () => void): void {
    this.committer.whenCommitted(callback)
  }

  private onCommitted(metas: ChunkMeta[]): void {
    for (const m of metas) this.counters.accepted += m.lines
    this.queue.added(metas)
    this.enforceBound()
    this.pump()
  }

  private onCommitFailed(err: Error, lines: number): void {
    this.count('store_error', lines)
    this.delivery.lastError = `outbox store: ${err.message}`
    this.logger.error({ err: err.message, points: lines }, 'outbox commit failed; points not accepted')
  }

  private count(reason: string, lines: number): void {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + lines
  }

  /** Starts batches while there is room: when a full batch waits, the oldest line waited long enough, or draining. */
  private pump(): void {
    if (!this.open) return
    if (this.flushTimer !== null) {
      this.clock.clearTimeout(this.flushTimer)
      this.flushTimer = null
    }
    while (this.running.size < this.options.concurrency && this.queue.unsentLines > 0) {
      const waited = this.clock.now() - this.queue.unsentSince
      const due =
        this.draining ||
        this.queue.unsentLines >= this.options.batchSize ||
        waited >= this.options.flushIntervalMs
      if (!due) {
        this.flushTimer = this.clock.setTimeout(() => this.pump(), this.options.flushIntervalMs - waited, {
          unref: true,
        })
        return
      }
      const attempt = new BatchAttempt(this.clock)
      // A drop that waited for this request (it might land) is decided once it is answered and the
      // answer is booked (setImmediate runs after the promise chain that completes the batch).
      attempt.onWireEnd = () => setImmediate(() => this.enforceBound())
      const batch = this.queue.nextBatch(this.options.batchSize, attempt)
      if (!batch) return
      const run = this.runBatch(batch).finally(() => {
        this.running.delete(run)
        this.pump()
      })
      this.running.add(run)
    }
  }

  private async runBatch(batch: Batch): Promise<void> {
    let outcome: Awaited<ReturnType<Delivery['send']>>
    try {
      outcome = await this.sender.send(batch.body, batch.lines, batch.attempt)
    } catch (err) {
      if (err instanceof BatchAborted) return // dropped (accounted already) or shutdown (stays stored)
      // A bug, not the destination: keep the lines and try them again rather than crash or lose them.
      this.logger.error({ err: (err as Error).message }, 'outbox: delivering a batch failed unexpectedly')
      this.queue.requeue(batch)
      return
    }
    this.queue.completed(batch)
    this.counters.delivered += outcome.delivered
    // The destination is back: the other batch need not wait out its backoff.
    for (const other of this.queue.batchesInFlight()) other.attempt.wake()
  }

  /** Over the byte bound: drop the oldest chunks, telemetry before alerts, and say so. */
  private enforceBound(): void {
    if (!this.open) return
    const excess = this.queue.totals.bytes - this.options.maxBytes
    if (excess <= 0) return
    const victims = chooseVictims(
      () => this.store.metas(),
      excess,
      (seq) => this.queue.dropAccess(seq),
    )
    if (victims.length === 0) return
    const lines = this.queue.drop(victims)
    this.count('buffer_full', lines)
    this.droppedSinceLog += lines
    const t = this.clock.now()
    if (t - this.lastDropLog < DROP_LOG_EVERY_MS) return
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

  /** Sends everything now (no waiting for full batches or backoffs) until empty or the deadline. */
  async flush(deadlineMs = 10_000): Promise<void> {
    // The shutdown deadline is wall time, whatever clock the outbox runs on.
    const until = performance.now() + deadlineMs
    const retriedBefore = this.delivery.retried
    await this.committer.commit()
    this.draining = true
    this.sender.draining = true
    try {
      for (const batch of this.queue.batchesInFlight()) batch.attempt.wake()
      this.pump()
      while ((this.queue.totals.lines > 0 || this.committer.pendingLines > 0) && performance.now() < until) {
        // The destination does not answer at all: a few quick tries, then stop (the items are safe on
        // disk) rather than hold a shutdown for the whole deadline. Memory has nothing to keep them in.
        const tries = this.delivery.retried - retriedBefore
        const { reachable } = this.plugin.status()
        if (this.store.durable && !reachable && tries >= 3 * this.options.concurrency) break
        if (this.committer.pendingLines > 0) await this.committer.commit()
        await new Promise((r) => setTimeout(r, 20))
      }
    } finally {
      this.draining = false
      this.sender.draining = false
    }
  }

  /** Flushes within the deadline, then stops; what is left stays in the store for the next start. */
  async close(deadlineMs = 10_000): Promise<void> {
    if (!this.open) return
    await this.flush(deadlineMs)
    this.open = false
    this.committer.stop()
    if (this.flushTimer !== null) this.clock.clearTimeout(this.flushTimer)
    for (const batch of this.queue.batchesInFlight()) batch.attempt.abort('shutdown')
    await Promise.allSettled([...this.running])
    await this.queue.settled()
    await this.plugin.close()
    await this.store.close()
    const left = this.queue.totals.lines
    if (left > 0 && this.store.durable)
      this.logger.warn({ points: left }, 'outbox: points kept on disk for the next start')
    else if (left > 0)
      this.logger.error({ points: left }, 'in-memory buffer: points not delivered at shutdown')
  }

  stats(): PointSinkStats {
    const { totals } = this.queue
    const status = this.plugin.status()
    return {
      durable: this.store.durable,
      pendingPoints: totals.lines + this.committer.pendingLines + this.committer.committingLines,
      pendingBytes: totals.bytes + this.committer.pendingBytes + this.committer.committingBytes,
      oldestPendingAgeMs: this.oldestAge(),
      accepted: this.counters.accepted,
      delivered: this.counters.delivered,
      retried: this.delivery.retried,
      dropped: { ...this.dropped },
      lastError: this.delivery.lastError,
      reachable: status.reachable,
      authFailed: status.authFailed,
    }
  }

  private oldestAge(): number {
    const stored = this.open ? this.queue.oldestFirstAt() : null
    const pending = this.committer.oldestUnstoredAt()
    const oldest = Math.min(stored ?? Number.POSITIVE_INFINITY, pending ?? Number.POSITIVE_INFINITY)
    return Number.isFinite(oldest) ? Math.max(0, this.clock.now() - oldest) : 0
  }
}
