/** What a point is, for choosing what to keep when a bounded buffer must drop something. */
export type PointClass = 'telemetry' | 'alert' | 'derived'

/** A cheap snapshot (counters kept in memory) for metrics, /readyz and logs. */
export interface PointSinkStats {
  /** True when accepted lines survive a crash (the LMDB outbox); false for the in-memory buffer. */
  durable: boolean
  /** Lines accepted and not yet confirmed by InfluxDB (outbox depth). */
  pendingPoints: number
  /** UTF-8 bytes of those lines: what `influx.buffer.maxBytes` bounds. */
  pendingBytes: number
  /** Age of the oldest pending line; 0 when empty. */
  oldestPendingAgeMs: number
  /** Lines accepted since start (committed to the outbox). */
  accepted: number
  /** Lines InfluxDB confirmed with a 2xx since start. */
  delivered: number
  /** Write requests that failed and were tried again (network, 5xx, 429, 401/403). */
  retried: number
  /**
   * Lines that left without landing, by reason: `buffer_full` (outbox bound), `influx_rejected`
   * (InfluxDB refused the line: a dead letter), `store_error` (the outbox could not store them).
   */
  dropped: Record<string, number>
  lastError: string | null
  /** InfluxDB answered the last request (any HTTP status). */
  reachable: boolean
  /** InfluxDB refused the credentials: delivery is paused until they are fixed. */
  authFailed: boolean
}

/**
 * Where line-protocol points go. The host (gateway) writes lines synchronously on the hot path;
 * batching, retry and buffering belong to the implementation.
 */
export interface PointSink {
  start(): Promise<void>
  write(line: string, klass: PointClass): void
  /** Calls back once every line written so far is accepted (durable, for a durable sink). */
  whenAccepted(callback: () => void): void
  /** Sends what is pending; resolves when InfluxDB confirmed it or the deadline passed. */
  flush(deadlineMs?: number): Promise<void>
  close(deadlineMs?: number): Promise<void>
  stats(): PointSinkStats
}
