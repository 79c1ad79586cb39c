/** What a point is, for choosing what to keep when a bounded buffer must drop something. */
export type PointClass = 'telemetry' | 'alert' | 'derived'

export interface PointSinkStats {
  /** Lines accepted and not yet confirmed by InfluxDB. */
  pendingPoints: number
  pendingBytes: number
  delivered: number
  retried: number
  dropped: Record<string, number>
  lastError: string | null
  reachable: boolean
  oldestPendingAgeMs: number
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
