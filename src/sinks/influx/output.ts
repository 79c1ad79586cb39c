import type { DeadLetter } from '../../core/dead-letter.js'
import type { Logger } from '../../observability/logger.js'
import type { OutputBatch, OutputPlugin, OutputStatus, RejectedItem, WriteOutcome } from '../outbox/output.js'
import type { InfluxHttpClient, WriteResult } from './http-client.js'
import { rejectedLineDeadLetter } from './rejected-line.js'

export interface InfluxOutputOptions {
  /** v1: create the database at start, and again when a write says it is gone (404). */
  createDatabase: boolean
  /** How long to wait after a 401/403 (the operator has to fix the credentials). */
  authRetryMs: number
}

type Retry = { ms: number | null; error: string }

/**
 * The InfluxDB output plugin: one write is one request of line protocol (gzip, v1 or v2), split in
 * halves on 413, bisected on 400/422 so the good lines land and each bad line is rejected with InfluxDB's
 * message, paused on 401/403. Network errors, 5xx and 429 (Retry-After) are retryAfter for the host.
 */
export class InfluxOutput implements OutputPlugin {
  readonly label = 'InfluxDB'
  private readonly state: OutputStatus = { reachable: false, authFailed: false }

  constructor(
    private readonly client: InfluxHttpClient,
    private readonly options: InfluxOutputOptions,
    private readonly logger: Logger,
  ) {}

  async connect(): Promise<void> {
    if (!(this.options.createDatabase && this.client.api === 'v1')) {
      this.state.reachable = await this.client.ping()
      return
    }
    try {
      await this.client.createDatabase()
      this.state.reachable = true
    } catch (err) {
      this.logger.warn(
        { err: (err as Error).message },
        'InfluxDB not reachable at start; buffering in the outbox',
      )
    }
  }

  async write(batch: OutputBatch): Promise<WriteOutcome> {
    const settled: number[] = []
    const rejected: RejectedItem[] = []
    const retry = await this.sendPart(batch, batch.body, 0, batch.count, settled, rejected)
    if (retry) return { kind: 'retryAfter', ...retry, settled, rejected }
    return rejected.length > 0 ? { kind: 'rejected', items: rejected } : { kind: 'delivered' }
  }

  /** Sends items [from, from+count) as `body`; null when all of them are settled, else why to retry. */
  private async sendPart(
    batch: OutputBatch,
    body: Buffer | string,
    from: number,
    count: number,
    settled: number[],
    rejected: RejectedItem[],
  ): Promise<Retry | null> {
    let result: WriteResult
    try {
      result = await this.client.write(body, batch.signal)
    } catch (err) {
      if (batch.signal.aborted) throw err
      this.state.reachable = false
      const e = err as Error
      // The cause carries the reason where the message does not: fetch's "fetch failed" (ECONNREFUSED and
      // friends), an aborted write's timeout.
      return { ms: null, error: e.cause ? `${e.message}: ${String(e.cause)}` : e.message }
    }
    this.state.reachable = true
    const { status } = result
    const message = result.error || `HTTP ${status}`
    if (status < 300) {
      if (this.state.authFailed) this.logger.info('InfluxDB accepts the credentials again')
      this.state.authFailed = false
      for (let i = from; i < from + count; i++) settled.push(i)
      return null
    }
    if (status === 400 || status === 422 || status === 413) {
      if (count === 1 || (status !== 413 && droppedCount(message) === count)) {
        // One line, or InfluxDB says it dropped every line of the part: each is a dead letter.
        const detail = `HTTP ${status}: ${message}`
        for (let i = from; i < from + count; i++)
          rejected.push({ index: i, reason: 'influx_rejected', detail })
        return null
      }
      // 413: too big, send halves. 400/422: some line is bad; halves until each bad line is alone.
      const all = (from === 0 && count === batch.count ? batch.text : body.toString()).split('\n')
      const mid = all.length >>> 1
      const first = await this.sendPart(batch, all.slice(0, mid).join('\n'), from, mid, settled, rejected)
      if (first) return first
      return this.sendPart(batch, all.slice(mid).join('\n'), from + mid, all.length - mid, settled, rejected)
    }
    const error = `HTTP ${status}: ${message}`
    if (status === 401 || status === 403) {
      this.authRefused(status, message)
      return { ms: this.options.authRetryMs, error }
    }
    if (status === 404 && this.options.createDatabase && this.client.api === 'v1') {
      // "database not found": someone dropped it; create it again rather than lose the queue.
      await this.client.createDatabase().catch(() => undefined)
    }
    return { ms: result.retryAfterMs ?? null, error }
  }

  private authRefused(status: number, message: string): void {
    if (!this.state.authFailed) {
      // Loud and once per episode: nothing heals this but the operator fixing credentials.
      this.logger.error(
        { status, error: message },
        'InfluxDB refused the credentials; delivery paused, points kept in the outbox (check influx.username/password/token)',
      )
    }
    this.state.authFailed = true
  }

  async close(): Promise<void> {}

  status(): OutputStatus {
    return { ...this.state }
  }

  deadLetter(item: string, rejection: RejectedItem, at: number): DeadLetter {
    return rejectedLineDeadLetter(item, rejection.detail, at)
  }
}

/** InfluxDB 1.x ends a partial-write error with `dropped=N`: how many lines of the request it refused. */
function droppedCount(message: string): number | null {
  const m = /dropped=(\d+)\s*$/.exec(message)
  return m ? Number(m[1]) : null
}
