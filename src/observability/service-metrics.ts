import type { Registry } from 'prom-client'
import { type SeriesReading, scrapeCounter, scrapeGauge, single } from './scrape-metrics.js'
import { num, type Services, serviceOf, statsOf } from './service-view.js'

/**
 * Metrics read from other features' read-only views in `ctx.services` (keys in docs/operations.md):
 * `broker`, `registry`, `availability`, `commands`, `journal`. Features that export their own samples
 * (`rules`, `hygiene`, `serial`) do so through MetricsSource and need nothing here.
 */
export function registerServiceMetrics(r: Registry, services: Services): void {
  registerBroker(r, services)
  registerDevices(r, services)
  registerJournal(r, services)
}

/** Refusal reasons that are failed or refused logins. */
const AUTH_REASONS = new Set(['auth_failed', 'auth_rate_limited', 'anonymous_denied', 'cert_rejected'])

interface BrokerStatsView {
  refusals?: ReadonlyMap<string, number>
  connections?: number
  retained?: number
  sessions?: number
}

function registerBroker(r: Registry, services: Services): void {
  const refusals = (filter: (reason: string) => boolean): SeriesReading[] => {
    const out: SeriesReading[] = []
    for (const [reason, n] of statsOf<BrokerStatsView>(services, 'broker')?.refusals ?? [])
      if (filter(reason)) out.push([{ reason }, n])
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
  const gauge = (name: string, help: string, field: keyof BrokerStatsView) =>
    scrapeGauge(r, {
      name,
      help,
      read: () => {
        const v = num(statsOf<BrokerStatsView>(services, 'broker')?.[field])
        return v === null ? [] : single(v)
      },
    })
  gauge('tidegate_mqtt_connections', 'Open MQTT transport connections (TCP, TLS, WebSocket)', 'connections')
  gauge('tidegate_mqtt_retained_messages', 'Retained messages the broker holds', 'retained')
  gauge('tidegate_mqtt_sessions', 'Persistent (clean=0) sessions the broker holds', 'sessions')
}

interface RegistryView {
  entries?: () => readonly unknown[]
  unregistered?: () => readonly unknown[]
}
interface AvailabilityView {
  snapshot?: () => Record<string, { status?: string; type?: string }>
}
interface CommandsView {
  pendingCount?: number
  counters?: { unmatchedAcks?: number; invalidAcks?: number }
}

function registerDevices(r: Registry, services: Services): void {
  scrapeGauge(r, {
    name: 'tidegate_devices_registered',
    help: 'Devices listed in the device registry',
    read: () => {
      const reg = serviceOf<RegistryView>(services, 'registry')
      return typeof reg?.entries === 'function' ? single(reg.entries().length) : []
    },
  })
  scrapeGauge(r, {
    name: 'tidegate_devices_unregistered_seen',
    help: 'Devices seen publishing that are not in the registry (bounded list)',
    read: () => {
      const reg = serviceOf<RegistryView>(services, 'registry')
      return typeof reg?.unregistered === 'function' ? single(reg.unregistered().length) : []
    },
  })
  scrapeGauge(r, {
    name: 'tidegate_devices',
    help: 'Known devices by availability status and device type',
    labelNames: ['status', 'type'],
    read: () => {
      const view = serviceOf<AvailabilityView>(services, 'availability')
      if (typeof view?.snapshot !== 'function') return []
      const counts = new Map<string, number>()
      for (const s of Object.values(view.snapshot())) {
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
    read: () => {
      const v = num(serviceOf<CommandsView>(services, 'commands')?.pendingCount)
      return v === null ? [] : single(v)
    },
  })
  scrapeCounter(r, {
    name: 'tidegate_command_acks_ignored_total',
    help: 'Acks that matched no pending command (unmatched) or could not be read (invalid)',
    labelNames: ['reason'],
    read: () => {
      const c = serviceOf<CommandsView>(services, 'commands')?.counters
      if (!c) return []
      return [
        [{ reason: 'unmatched' }, c.unmatchedAcks ?? 0],
        [{ reason: 'invalid' }, c.invalidAcks ?? 0],
      ]
    },
  })
}

interface JournalStatsView {
  records?: number
  bytesWritten?: number
  segmentsDeleted?: number
  recordsLost?: number
  lastError?: string | null
}

function registerJournal(r: Registry, services: Services): void {
  const field = (name: keyof JournalStatsView): SeriesReading[] => {
    const v = num(statsOf<JournalStatsView>(services, 'journal')?.[name])
    return v === null ? [] : single(v)
  }
  scrapeCounter(r, {
    name: 'tidegate_journal_records_total',
    help: 'Records appended to the journal',
    read: () => field('records'),
  })
  scrapeCounter(r, {
    name: 'tidegate_journal_bytes_written_total',
    help: 'Bytes written to journal segments',
    read: () => field('bytesWritten'),
  })
  scrapeCounter(r, {
    name: 'tidegate_journal_segments_deleted_total',
    help: 'Journal segments removed by retention',
    read: () => field('segmentsDeleted'),
  })
  scrapeCounter(r, {
    name: 'tidegate_journal_records_lost_total',
    help: 'Journal records that never reached disk (failed writes)',
    read: () => field('recordsLost'),
  })
  scrapeGauge(r, {
    name: 'tidegate_journal_error',
    help: '1 once a journal write has failed since start (see the log for the error)',
    read: () => {
      const s = statsOf<JournalStatsView>(services, 'journal')
      return s ? single(s.lastError ? 1 : 0) : []
    },
  })
}
