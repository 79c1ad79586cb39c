import type { Logger } from '../../observability/logger.js'
import type { PointClass, PointSink, PointSinkStats } from '../sink.js'
import { backoffDelay } from './backoff.js'
import type { InfluxHttpClient } from './http-client.js'

export interface BatchingWriterOptions {
  batchSize: number
  flushIntervalMs: number
  /** Memory bound for lines waiting while InfluxDB is away; the oldest batch goes first. */
  maxPendingLines: number
  createDatabase: boolean
}

interface Batch {
  lines: string[]
  firstAt: number
}

/**
 * An in-memory batching writer: lines collect into batches sealed by count or interval, one request
 * in flight, retry with backoff on network errors and 5xx/429. Not durable: a crash loses what is pending.
 */
export class BatchingInfluxWriter implements PointSink {
  private current: string[] = []
  private currentFirstAt = 0
  private readonly sealed: Batch[] = []
  private pendingLines = 0
  private inFlight: Promise<void> | null = null
  private timer: NodeJS.Timeout | null = null
  private retryTimer: NodeJS.Timeout | null = null
  private attempt = 0
  private closed = false
  private readonly s = {
    delivered: 0,
    retried: 0,
    dropped: {} as Record<string, number>,
    lastError: null as string | null,
    reachable: false,
  }

  constructor(
    private readonly client: InfluxHttpClient,
    private readonly options: BatchingWriterOptions,
    private readonly logger: Logger,
    private readonly onRejected: (lines: string[], error: string) => void = () => {},
  ) {}

  async start(): Promise<void> {
    if (this.options.createDatabase) {
      try {
        await this.client.createDatabase()
        this.s.reachable = true
      } catch (err) {
        // Not fatal: the writer retries and buffers until InfluxDB is back.
        this.s.lastError = (err as Error).message
        this.logger.warn({ err: this.s.lastError }, 'InfluxDB not reachable at start; buffering')
      }
    }
    this.timer = setInterval(() => this.seal(), this.options.flushIntervalMs)
    this.timer.unref()
  }

  write(line: string, _klass: PointClass): void {
    if (this.current.length === 0) this.currentFirstAt = Date.now()
    this.current.push(line)
    this.pendingLines++
    if (this.current.length >= this.options.batchSize) this.seal()
  }

  whenAccepted(callback: () => void): void {
    callback()
  }

  private seal(): void {
    if (this.current.length === 0) return
    this.sealed.push({ lines: this.current, firstAt: this.currentFirstAt })
    this.current = []
    while (this.pendingLines > this.options.maxPendingLines && this.sealed.length > 1) {
      const dropped = this.sealed.shift() as Batch
      this.pendingLines -= dropped.lines.length
      this.s.dropped['buffer_full'] = (this.s.dropped['buffer_full'] ?? 0) + dropped.lines.length
      this.logger.warn({ points: dropped.lines.length }, 'write buffer full: oldest points dropped')
    }
    this.pump()
  }

  private pump(): void {
    if (this.inFlight || this.retryTimer || this.sealed.length === 0) return
    const batch = this.sealed[0] as Batch
    this.inFlight = this.send(batch).finally(() => {
      this.inFlight = null
      if (!this.retryTimer) this.pump()
    })
  }

  private async send(batch: Batch): Promise<void> {
    let delay: number | null = null
    try {
      const result = await this.client.write(batch.lines.join('\n'))
      this.s.reachable = true
      if (result.status < 300) {
        this.done(batch)
        this.s.delivered += batch.lines.length
        this.attempt = 0
        return
      }
      this.s.lastError = `HTTP ${result.status}: ${result.error ?? ''}`
      if (result.status === 429 || result.status >= 500) {
        delay = result.retryAfterMs ?? backoffDelay(this.attempt++)
      } else {
        // A 4xx other than 429 will not succeed on retry: report and move on.
        this.done(batch)
        this.s.dropped['rejected'] = (this.s.dropped['rejected'] ?? 0) + batch.lines.length
        this.onRejected(batch.lines, result.error ?? `HTTP ${result.status}`)
        this.logger.error({ status: result.status, error: result.error }, 'InfluxDB rejected a batch')
        return
      }
    } catch (err) {
      this.s.reachable = false
      this.s.lastError = (err as Error).message
      delay = backoffDelay(this.attempt++)
    }
    this.s.retried++
    if (this.closed) return
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null
      this.pump()
    }, delay)
    this.retryTimer.unref()
  }

  private done(batch: Batch): void {
    if (this.sealed[0] === batch) this.sealed.shift()
    this.pendingLines -= batch.lines.length
  }

  async flush(deadlineMs = 10_000): Promise<void> {
    this.seal()
    const until = Date.now() + deadlineMs
    while ((this.sealed.length > 0 || this.inFlight) && Date.now() < until) {
      if (this.retryTimer) {
        // Shutdown: try again now rather than waiting out the backoff.
        clearTimeout(this.retryTimer)
        this.retryTimer = null
        this.pump()
      }
      await (this.inFlight ?? new Promise((r) => setTimeout(r, 50)))
    }
  }

  async close(deadlineMs = 10_000): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    await this.flush(deadlineMs)
    this.closed = true
    if (this.retryTimer) clearTimeout(this.retryTimer)
    if (this.pendingLines > 0)
      this.logger.error({ points: this.pendingLines }, 'points not delivered at shutdown')
  }

  stats(): PointSinkStats {
    const oldest = this.sealed[0]?.firstAt ?? (this.current.length ? this.currentFirstAt : 0)
    return {
      pendingPoints: this.pendingLines,
      pendingBytes: 0,
      delivered: this.s.delivered,
      retried: this.s.retried,
      dropped: { ...this.s.dropped },
      lastError: this.s.lastError,
      reachable: this.s.reachable,
      oldestPendingAgeMs: oldest ? Date.now() - oldest : 0,
    }
  }
}
