import type { Logger } from '../../observability/logger.js'
import { backoffDelay } from '../influx/backoff.js'
import type { InfluxHttpClient, WriteResult } from '../influx/http-client.js'
import { BatchAborted, type BatchAttempt } from './batch-attempt.js'

export interface DeliveryState {
  retried: number
  lastError: string | null
  reachable: boolean
  /** InfluxDB refused the credentials (401/403): delivery is paused, the queue kept. */
  authFailed: boolean
}

export interface SendOutcome {
  delivered: number
  rejected: number
}

export interface BatchSenderOptions {
  retryBaseMs: number
  retryCapMs: number
  /** How often to try again after a 401/403 (the operator has to fix the credentials). */
  authRetryMs: number
  createDatabase: boolean
}

/**
 * Gets one batch into InfluxDB, whatever it takes: retry with backoff and jitter on network errors,
 * 5xx and 429 (Retry-After wins), halves on 413, bisects on 400/422 so the good lines land and each bad
 * line is reported with InfluxDB's message, waits out 401/403. Resolves when every line of the batch has
 * landed or been rejected; rejects only with BatchAborted.
 */
export class BatchSender {
  /** Consecutive failures across batches: an outage backs every batch off together. */
  private failures = 0
  /** Shutdown: retry quickly rather than waiting out a long backoff. */
  draining = false

  constructor(
    private readonly client: InfluxHttpClient,
    private readonly options: BatchSenderOptions,
    private readonly state: DeliveryState,
    private readonly logger: Logger,
    private readonly onRejected: (line: string, status: number, message: string) => void,
  ) {}

  /** `text` is `lines` newline-joined lines; it is split only when InfluxDB asks for smaller parts. */
  async send(text: string, lines: number, attempt: BatchAttempt): Promise<SendOutcome> {
    const outcome: SendOutcome = { delivered: 0, rejected: 0 }
    await this.sendPart(text, lines, attempt, outcome)
    return outcome
  }

  private async sendPart(
    text: string,
    lines: number,
    attempt: BatchAttempt,
    out: SendOutcome,
  ): Promise<void> {
    for (;;) {
      attempt.throwIfAborted()
      attempt.onWire = true
      const result = await this.post(text, attempt)
      if (result === null) {
        attempt.onWire = false
        await this.retryLater(attempt, null)
        continue
      }
      this.state.reachable = true
      const { status } = result
      const message = result.error || `HTTP ${status}`
      if (status < 300) {
        this.succeeded()
        out.delivered += lines
        // Settled before the wire is released: the byte bound must never count landed lines as dropped.
        attempt.settledAny = true
        attempt.onWire = false
        return
      }
      attempt.onWire = false
      if (status === 400 || status === 422 || status === 413) {
        if (lines === 1 || (status !== 413 && droppedCount(message) === lines)) {
          // One line, or InfluxDB says it dropped every line of the part: each is a dead letter.
          for (const line of lines === 1 ? [text] : text.split('\n')) this.onRejected(line, status, message)
          out.rejected += lines
          attempt.settledAny = true
          return
        }
        // 413: too big, send halves. 400/422: some line is bad; halves until each bad line is alone.
        const all = text.split('\n')
        const mid = all.length >>> 1
        await this.sendPart(all.slice(0, mid).join('\n'), mid, attempt, out)
        await this.sendPart(all.slice(mid).join('\n'), all.length - mid, attempt, out)
        return
      }
      this.state.lastError = `HTTP ${status}: ${message}`
      if (status === 401 || status === 403) {
        this.authRefused(status, message)
        await this.retryLater(attempt, this.options.authRetryMs)
        continue
      }
      if (status === 404 && this.options.createDatabase && this.client.api === 'v1') {
        // "database not found": someone dropped it; create it again rather than lose the queue.
        await this.client.createDatabase().catch(() => undefined)
      }
      this.failed(`HTTP ${status}: ${message}`)
      await this.retryLater(attempt, result.retryAfterMs ?? null)
    }
  }

  /** One request; null on a network error (or timeout). Aborts propagate. */
  private async post(text: string, attempt: BatchAttempt): Promise<WriteResult | null> {
    try {
      return await this.client.write(text, attempt.signal)
    } catch (err) {
      attempt.throwIfAborted()
      this.state.reachable = false
      const e = err as Error
      // fetch says only "fetch failed"; the cause has ECONNREFUSED and friends.
      this.failed(e.cause ? `${e.message}: ${String(e.cause)}` : e.message)
      return null
    }
  }

  private failed(error: string): void {
    if (this.failures === 0)
      this.logger.warn({ err: error }, 'InfluxDB write failed; points stay in the outbox and are retried')
    this.failures++
    this.state.lastError = error
  }

  private succeeded(): void {
    if (this.failures > 0 || this.state.authFailed)
      this.logger.info({ afterFailures: this.failures }, 'InfluxDB writes succeed again')
    this.failures = 0
    this.state.authFailed = false
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

  private async retryLater(attempt: BatchAttempt, requestedMs: number | null): Promise<void> {
    this.state.retried++
    if (requestedMs !== null) return attempt.sleep(requestedMs) // Retry-After is InfluxDB's to decide
    const delay = backoffDelay(this.failures - 1, this.options.retryBaseMs, this.options.retryCapMs)
    await attempt.sleep(this.draining ? Math.min(delay, 200) : delay)
  }
}

/** InfluxDB 1.x ends a partial-write error with `dropped=N`: how many lines of the request it refused. */
function droppedCount(message: string): number | null {
  const m = /dropped=(\d+)\s*$/.exec(message)
  return m ? Number(m[1]) : null
}

export { BatchAborted }
