import type { Registry } from 'prom-client'
import type { GatewayContext } from '../extension.js'
import { type SeriesReading, scrapeCounter, scrapeGauge, single } from './scrape-metrics.js'

type CoreContext = Pick<GatewayContext, 'broker' | 'devices'>

/**
 * Metrics of the gateway's core parts, read from their typed views: the broker's stats and the device
 * model (registry, availability, commands). Features export their own through `metricSamples()`.
 */
export function registerServiceMetrics(r: Registry, ctx: CoreContext): void {
  registerBroker(r, ctx)
  registerDevices(r, ctx)
}

/** Refusal reasons that are failed or refused logins. */
const AUTH_REASONS = new Set(['auth_failed', 'auth_rate_limited', 'anonymous_denied', 'cert_rejected'])

function registerBroker(r: Registry, ctx: CoreContext): void {
  const refusals = (filter: (reason: string) => boolean): SeriesReading[] => {
    const out: SeriesReading[] = []
    for (const [reason, n] of ctx.broker.stats.refusals) if (filter(reason)) out.push([{ reason }, n])
    return out
  }
  scrapeCounter(r, {
    name: 'tidegate_mqtt_refusals_total',
    help: 'Connections, packets and subscriptions the broker refused, by reason (ACL, limits, malformed, ...)',
    labelNames: ['reason'],
    read: () => refusals(() => true),
  })
  scrapeCounter(r, {
    name: 'tidegate_mqtt_auth_failures_total',
    help: 'Failed or refused MQTT logins, by reason (auth_failed, auth_rate_limited, anonymous_denied, cert_rejected)',
    labelNames: ['reason'],
    read: () => refusals((reason) => AUTH_REASONS.has(reason)),
  })
  const gauge = (
    name: string,
    help: string,
    field: 'connections' | 'retained' | 'sessions' | 'packetsInFlight' | 'connectionsWaitingToRead',
  ) => scrapeGauge(r, { name, help, read: () => single(ctx.broker.stats[field]) })
  gauge('tidegate_mqtt_connections', 'Open MQTT transport connections (TCP, TLS, WebSocket)', 'connections')
  gauge('tidegate_mqtt_retained_messages', 'Retained messages the broker holds', 'retained')
  gauge('tidegate_mqtt_sessions', 'Persistent (clean=0) sessions the broker holds', 'sessions')
  gauge(
    'tidegate_mqtt_packets_in_flight',
    'Parsed MQTT packets not yet handled (ingest, rules, forwarding); bounded, see docs/footprint.md',
    'packetsInFlight',
  )
  gauge(
    'tidegate_mqtt_connections_waiting_to_read',
    'Connections whose next read waits for the gateway to handle what it already read (back-pressure)',
    'connectionsWaitingToRead',
  )
}

function registerDevices(r: Registry, ctx: CoreContext): void {
  const { registry, availability, commands } = ctx.devices
  scrapeGauge(r, {
    name: 'tidegate_devices_registered',
    help: 'Devices listed in the device registry',
    read: () => single(registry.entries().length),
  })
  scrapeGauge(r, {
    name: 'tidegate_devices_unregistered_seen',
    help: 'Devices seen publishing that are not in the registry (bounded list)',
    read: () => single(registry.unregistered().length),
  })
  scrapeGauge(r, {
    name: 'tidegate_devices',
    help: 'Known devices by availability status and device type',
    labelNames: ['status', 'type'],
    read: () => {
      const counts = new Map<string, number>()
      for (const s of Object.values(availability.snapshot())) {
        const key = `${s.status ?? 'unknown'}\u0000${s.type ?? 'unknown'}`
        counts.set(key, (counts.get(key) ?? 0) + 1)
      }
      return [...counts].map(([key, n]): SeriesReading => {
        const [status = '', type = ''] = key.split('\u0000')
        return [{ status, type }, n]
      })
    },
  })
  scrapeGauge(r, {
    name: 'tidegate_commands_pending',
    help: 'Commands sent and waiting for an ack, or queued for an offline device',
    read: () => single(commands.pendingCount),
  })
  scrapeCounter(r, {
    name: 'tidegate_command_acks_ignored_total',
    help: 'Acks that matched no pending command (unmatched) or could not be read (invalid)',
    labelNames: ['reason'],
    read: () => {
      const c = commands.counters
      return [
        [{ reason: 'unmatched' }, c.unmatchedAcks],
        [{ reason: 'invalid' }, c.invalidAcks],
      ]
    },
  })
}
