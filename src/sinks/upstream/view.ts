import type { Sample } from '../../observability/metrics-source.js'
import type { PointSink } from '../sink.js'
import type { UpstreamConnection } from './connection.js'
import type { Forwarder } from './forward.js'
import type { UpstreamReceiver } from './receive.js'

/**
 * The `upstream` service: metrics (connected, pending, oldest pending age, delivered, dropped by reason,
 * received, refused by reason) and a /readyz entry. Never unready: while the upstream is away the
 * gateway buffers, exactly as for InfluxDB.
 */
export function upstreamView(
  outbox: PointSink,
  connection: UpstreamConnection,
  forwarder: Forwarder,
  receiver: UpstreamReceiver,
) {
  const dropped = () => {
    const out: Record<string, number> = { ...outbox.stats().dropped }
    for (const [reason, n] of Object.entries(forwarder.dropped)) out[reason] = (out[reason] ?? 0) + n
    return out
  }
  return {
    stats: () => outbox.stats(),
    readiness() {
      const s = outbox.stats()
      return {
        ready: true,
        detail: {
          connected: connection.connected,
          pending: s.pendingPoints,
          oldestPendingAgeSeconds: s.oldestPendingAgeMs / 1000,
          delivered: s.delivered,
          dropped: dropped(),
          lastError: connection.lastError ?? s.lastError,
        },
      }
    },
    metricSamples(): Sample[] {
      const s = outbox.stats()
      const gauge = (name: string, help: string, value: number): Sample => ({
        name,
        help,
        type: 'gauge',
        value,
      })
      const counter = (name: string, help: string, value: number, labels?: Record<string, string>): Sample =>
        labels ? { name, help, type: 'counter', value, labels } : { name, help, type: 'counter', value }
      return [
        gauge(
          'tidegate_upstream_connected',
          'The upstream MQTT connection is up (1) or not (0)',
          connection.connected ? 1 : 0,
        ),
        gauge(
          'tidegate_upstream_pending_messages',
          'Forwarded messages stored and not yet acknowledged upstream',
          s.pendingPoints,
        ),
        gauge(
          'tidegate_upstream_pending_bytes',
          'Bytes of those messages (what upstream.buffer.maxBytes bounds)',
          s.pendingBytes,
        ),
        gauge(
          'tidegate_upstream_oldest_pending_age_seconds',
          'Age of the oldest unacknowledged forwarded message',
          s.oldestPendingAgeMs / 1000,
        ),
        counter(
          'tidegate_upstream_delivered_total',
          'Forwarded messages the upstream acknowledged (PUBACK)',
          s.delivered,
        ),
        counter(
          'tidegate_upstream_sent_qos0_total',
          'QoS 0 forwards sent (no acknowledgement)',
          forwarder.counters.sentQos0,
        ),
        counter('tidegate_upstream_retries_total', 'Windows written again after a failure', s.retried),
        ...Object.entries(dropped()).map(([reason, n]) =>
          counter(
            'tidegate_upstream_dropped_total',
            'Forwarded messages dropped, by reason (buffer_full, offline, ...)',
            n,
            { reason },
          ),
        ),
        counter(
          'tidegate_upstream_received_total',
          'Messages received from upstream',
          receiver.counters.received,
        ),
        ...Object.entries(receiver.refused).map(([reason, n]) =>
          counter('tidegate_upstream_refused_total', 'Messages from upstream not delivered, by reason', n, {
            reason,
          }),
        ),
      ]
    },
  }
}

export type UpstreamService = ReturnType<typeof upstreamView>
