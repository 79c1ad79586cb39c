import type { DeadLetter } from '../../core/dead-letter.js'

/**
 * One write handed to an output plugin: whole outbox items in outbox order. Items are the stored lines
 * (an item never contains a newline): line protocol for InfluxDB, an encoded MQTT message upstream.
 */
export interface OutputBatch {
  /** The items newline-joined, UTF-8: an HTTP body as is. */
  readonly body: Buffer
  /** The same as a string (decoded once, on demand: the hot path sends `body`). */
  readonly text: string
  readonly count: number
  /** The items one by one (split once, on demand). */
  items(): readonly string[]
  /** Aborted when the outbox drops the batch (byte bound) or shuts down: stop and return. */
  readonly signal: AbortSignal
}

/** An item the destination refused for good: it leaves the outbox as a dead letter, counted by `reason`. */
export interface RejectedItem {
  /** Index in the batch's items. */
  index: number
  /** The drop reason it is counted under (`influx_rejected`, ...). */
  reason: string
  /** What the destination said. */
  detail: string
}

/**
 * What became of a write. `delivered`: every item landed. `rejected`: the listed items were refused for
 * good, every other one landed. `retryAfter`: not everything is settled; the items in `settled` landed
 * (or are in `rejected`), the others are written again, in order, after `ms` (null: the host's backoff).
 */
export type WriteOutcome =
  | { kind: 'delivered' }
  | { kind: 'rejected'; items: RejectedItem[] }
  | {
      kind: 'retryAfter'
      ms: number | null
      error: string
      settled?: readonly number[]
      rejected?: readonly RejectedItem[]
    }

/** What the host reads for stats, readiness and its shutdown decisions. */
export interface OutputStatus {
  /** The destination answered the last attempt (any answer) / the connection is up. */
  reachable: boolean
  /** The destination refused the credentials: delivery is paused until they are fixed. */
  authFailed: boolean
}

/**
 * An output plugin (as Telegraf's outputs): it only speaks to its destination. The outbox host does the
 * durable queue, batching, the byte bound and drop policy, retry with backoff, and the metrics.
 * write() never sleeps and never retries by itself: it says retryAfter and the host decides.
 */
export interface OutputPlugin {
  /** Shown in logs: `InfluxDB`, `upstream`. */
  readonly label: string
  /** Prepares the destination; never throws for an unreachable destination (the host keeps buffering). */
  connect(): Promise<void>
  write(batch: OutputBatch): Promise<WriteOutcome>
  close(): Promise<void>
  status(): OutputStatus
  /** Optional: the destination is back (reconnected); the host cuts its backoff short. */
  onReady?(listener: () => void): void
  /** The dead letter for a refused item. */
  deadLetter(item: string, rejection: RejectedItem, at: number): DeadLetter
}
