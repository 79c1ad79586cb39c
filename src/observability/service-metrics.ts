import type { Registry } from 'prom-client'
import { type SeriesReading, scrapeCounter, scrapeGauge, single } from './scrape-metrics.js'

/**
 * Metrics read from other features' read-only views in `ctx.services` (keys in docs/operations.md).
 * Features start after this registry is built and may register late or not at all (switched off), so
 * every reader looks its service up at scrape time and yields nothing when it is absent.
 */

type Services = ReadonlyMap<string, unknown>

/** `services.get(key).stats()` when it exists, else null. A throwing view yields null too. */
function statsOf<T>(services: Services, key: string): T | null {
  const svc = services.get(key) as { stats?: () => T } | undefined
  if (typeof svc?.stats !== 'function') return null
  try {
    return svc.stats()
  } catch {
    return null
  }
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null
}

/** One labelless series from a numeric field of a service's stats, or none. */
function field(services: Services, key: string, name: string): SeriesReading[] {
  const v = num(statsOf<Record<string, unknown>>(services, key)?.[name])
  return v === null ? [] : single(v)
}

export function registerServiceMetrics(r: Registry, services: Services): void {
  registerJournal(r, services)
}

function registerJournal(r: Registry, services: Services): void {
  scrapeCounter(r, {
    name: 'tidegate_journal_records_total',
    help: 'Records appended to the journal',
    read: () => field(services, 'journal', 'records'),
  })
  scrapeCounter(r, {
    name: 'tidegate_journal_bytes_written_total',
    help: 'Bytes written to journal segments',
    read: () => field(services, 'journal', 'bytesWritten'),
  })
  scrapeCounter(r, {
    name: 'tidegate_journal_segments_deleted_total',
    help: 'Journal segments removed by retention',
    read: () => field(services, 'journal', 'segmentsDeleted'),
  })
  scrapeGauge(r, {
    name: 'tidegate_journal_write_error',
    help: '1 when the last journal write failed',
    read: () => {
      const s = statsOf<{ lastError?: unknown }>(services, 'journal')
      return s ? single(s.lastError ? 1 : 0) : []
    },
  })
}
