import { backoffDelay } from '../../core/backoff.js'
import type { Logger } from '../../observability/logger.js'
import { BatchAborted, type BatchAttempt } from './batch-attempt.js'
import type { OutputBatch, OutputPlugin, RejectedItem, WriteOutcome } from './output.js'

export interface DeliveryState {
  retried: number
  lastError: string | null
}

export interface DeliveryOutcome {
  delivered: number
  rejected: number
}

export interface DeliveryOptions {
  retryBaseMs: number
  retryCapMs: number
}

/**
 * Gets one batch through an output plugin, whatever it takes: the plugin writes once and says what
 * became of the items; on retryAfter the settled items are taken out and the rest is written again
 * after the plugin's delay or the host's backoff (exponential, full jitter, shared by every batch so an
 * outage backs them off together). Resolves when every item landed or was rejected; rejects only with
 * BatchAborted.
 */
export class Delivery {
  /** Consecutive failures across batches. */
  private failures = 0
  /** Shutdown: retry quickly rather than waiting out a long backoff. */
  draining = false

  constructor(
    private readonly plugin: OutputPlugin,
    private readonly options: DeliveryOptions,
    private readonly state: DeliveryState,
    private readonly logger: Logger,
    private readonly onRejected: (item: string, rejection: RejectedItem) => void,
  ) {}

  async send(body: Buffer, count: number, attempt: BatchAttempt): Promise<DeliveryOutcome> {
    const out: DeliveryOutcome = { delivered: 0, rejected: 0 }
    let batch = viewOf(body, count, attempt.signal)
    for (;;) {
      attempt.throwIfAborted()
      attempt.onWire = true
      const outcome = await this.write(batch, attempt)
      if (outcome.kind !== 'retryAfter') {
        const rejected = outcome.kind === 'rejected' ? outcome.items : []
        this.reject(batch, rejected, out)
        out.delivered += batch.count - rejected.length
        this.succeeded()
        // Settled before the wire is released: the byte bound must never count landed items as dropped.
        attempt.settledAny = true
        attempt.onWire = false
        return out
      }
      const settled = new Set(outcome.settled ?? [])
      for (const r of outcome.rejected ?? []) settled.add(r.index)
      if (settled.size > 0) {
        this.reject(batch, outcome.rejected ?? [], out)
        out.delivered += settled.size - (outcome.rejected?.length ?? 0)
        attempt.settledAny = true
        const rest = batch.items().filter((_item, i) => !settled.has(i))
        batch = viewOf(Buffer.from(rest.join('\n')), rest.length, attempt.signal, rest)
      }
      attempt.onWire = false
      if (batch.count === 0) return out
      this.failed(outcome.error)
      await this.retryLater(attempt, outcome.ms)
    }
  }

  /** One plugin write; a throw (a bug or an unexpected error) is a retry, aborts propagate. */
  private async write(batch: OutputBatch, attempt: BatchAttempt): Promise<WriteOutcome> {
    try {
      return await this.plugin.write(batch)
    } catch (err) {
      attempt.throwIfAborted()
      const e = err as Error
      // The cause carries the reason where the message does not: fetch's "fetch failed" (ECONNREFUSED and
      // friends), an aborted write's timeout.
      return { kind: 'retryAfter', ms: null, error: e.cause ? `${e.message}: ${String(e.cause)}` : e.message }
    }
  }

  private reject(batch: OutputBatch, rejected: readonly RejectedItem[], out: DeliveryOutcome): void {
    if (rejected.length === 0) return
    const items = batch.items()
    for (const r of rejected) this.onRejected(items[r.index] ?? '', r)
    out.rejected += rejected.length
  }

  private failed(error: string): void {
    if (this.failures === 0)
      this.logger.warn({ err: error }, `${this.plugin.label} write failed; kept in the outbox and retried`)
    this.failures++
    this.state.lastError = error
  }

  private succeeded(): void {
    if (this.failures > 0)
      this.logger.info({ afterFailures: this.failures }, `${this.plugin.label} writes succeed again`)
    this.failures = 0
  }

  private async retryLater(attempt: BatchAttempt, requestedMs: number | null): Promise<void> {
    this.state.retried++
    if (requestedMs !== null) return attempt.sleep(requestedMs) // Retry-After is the destination's to decide
    const delay = backoffDelay(this.failures - 1, this.options.retryBaseMs, this.options.retryCapMs)
    await attempt.sleep(this.draining ? Math.min(delay, 200) : delay)
  }
}

function viewOf(body: Buffer, count: number, signal: AbortSignal, split?: readonly string[]): OutputBatch {
  let items = split ?? null
  let decoded: string | null = null
  // Decoded once, and only for a plugin that asks (InfluxDB sends `body` as is).
  const text = () => {
    decoded ??= body.toString('utf8')
    return decoded
  }
  return {
    body,
    get text() {
      return text()
    },
    count,
    signal,
    items: () => {
      items ??= count === 1 ? [text()] : text().split('\n')
      return items
    },
  }
}

export { BatchAborted }
