import type { Logger } from '../observability/logger.js'
import { RateLimitedLog } from '../observability/logger.js'

/** Why the broker refused something; each reason is one counter (bounded label set for metrics). */
export type RefusalReason =
  | 'packet_too_large'
  | 'malformed'
  | 'protocol_level'
  | 'connect_flags'
  | 'client_id'
  | 'keepalive'
  | 'connect_timeout'
  | 'not_connected'
  | 'topic_invalid'
  | 'topic_wildcard'
  | 'topic_too_long'
  | 'topic_levels'
  | 'packet_id_zero'
  | 'auth_failed'
  | 'auth_rate_limited'
  | 'anonymous_denied'
  | 'cert_rejected'
  | 'acl_publish'
  | 'acl_subscribe'
  | 'reserved_topic'
  | 'rate_limited'
  | 'rate_throttled'
  | 'inflight_cap'
  | 'slow_subscriber'
  | 'max_connections'
  | 'session_cap'
  | 'session_expired'
  | 'offline_queue_full'
  | 'retained_cap'
  | 'retained_expired'

/**
 * Counts every refusal by reason and logs it at a bounded rate. The metrics feature reads `counts`
 * (it is exposed as the `broker` service); tests read it to prove a refusal happened for the right reason.
 */
export class Refusals {
  readonly counts = new Map<RefusalReason, number>()
  private readonly log: RateLimitedLog

  constructor(logger: Logger, perMinute: number) {
    this.log = new RateLimitedLog(logger, perMinute)
  }

  /** Counts one refusal; `detail` must never carry secrets (no passwords, no payloads). */
  refuse(reason: RefusalReason, detail: Record<string, unknown> = {}): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1)
    this.log.warn(`broker:${reason}`, { reason, ...detail }, `mqtt refused: ${reason}`)
  }

  count(reason: RefusalReason): number {
    return this.counts.get(reason) ?? 0
  }
}
