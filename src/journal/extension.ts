import { join } from 'node:path'
import type { Subscription } from 'rxjs'
import type { BrokerMessage } from '../broker/broker.js'
import { toMs } from '../core/duration.js'
import { toBytes } from '../core/size.js'
import type { Extension, GatewayContext } from '../extension.js'
import { RateLimitedLog } from '../observability/logger.js'
import type { Sample } from '../observability/metrics-source.js'
import type { JournalRecord } from './record.js'
import { JournalWriter } from './writer.js'

/** Broker topics the journal records besides events: alert transitions, commands sent, device acks. */
const RECORDED_TOPICS: { filter: string; kind: Exclude<JournalRecord['kind'], 'event'> }[] = [
  { filter: 'alerts/#', kind: 'alert' },
  { filter: 'devices/+/commands/+', kind: 'command' },
  { filter: 'devices/+/acks', kind: 'ack' },
]

function parseJson(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString('utf8'))
  } catch {
    return payload.toString('utf8')
  }
}

export function journalDir(ctx: Pick<GatewayContext, 'config' | 'path'>): string {
  return ctx.path(ctx.config.journal.dir ?? join(ctx.config.dataDir, 'journal'))
}

/** Appends every accepted event, alert transition, command and ack to the journal. */
export function journalExtension(ctx: GatewayContext): Extension | null {
  const c = ctx.config.journal
  if (!c.enabled) return null
  // A failing disk fails every flush: say so, but not five times a second.
  const errorLog = new RateLimitedLog(ctx.logger, 6)
  const writer = new JournalWriter({
    dir: journalDir(ctx),
    maxBytes: toBytes(c.maxBytes),
    maxAgeMs: toMs(c.maxAge),
    segmentBytes: toBytes(c.segmentBytes),
    segmentAgeMs: toMs(c.segmentAge),
    flushIntervalMs: toMs(c.flushInterval),
    fsync: c.fsync,
    onError: (message, recordsLost) =>
      errorLog.warn('journal', { err: message, recordsLost }, 'journal write failed'),
  })
  let subscription: Subscription | null = null
  const unsubscribes: (() => Promise<void>)[] = []
  const delivers = RECORDED_TOPICS.map(({ filter, kind }) => {
    const deliver = (packet: BrokerMessage) => {
      const body = parseJson(packet.payload)
      const t = Date.now()
      const topic = packet.topic
      if (kind === 'alert') writer.append({ kind, t, topic, alert: body })
      else if (kind === 'command') writer.append({ kind, t, topic, command: body })
      else writer.append({ kind, t, topic, ack: body })
    }
    return { filter, deliver }
  })
  return {
    name: 'journal',
    metricSamples: () => journalSamples(writer.stats),
    async start() {
      await writer.open()
      if (writer.stats.tornRecordsRecovered > 0) {
        ctx.logger.warn(
          { records: writer.stats.tornRecordsRecovered },
          'journal: torn records after an unclean stop were cut',
        )
      }
      subscription = ctx.events.subscribe((event) => writer.appendEvent(event, event.received))
      for (const { filter, deliver } of delivers)
        unsubscribes.push(await ctx.broker.subscribe(filter, deliver))
    },
    async stop() {
      subscription?.unsubscribe()
      for (const unsubscribe of unsubscribes.splice(0)) await unsubscribe()
      await writer.close()
    },
  }
}

/** The journal's counters for GET /metrics. */
function journalSamples(s: JournalWriter['stats']): Sample[] {
  const counter = (name: string, help: string, value: number): Sample => ({
    name,
    help,
    type: 'counter',
    value,
  })
  return [
    counter('tidegate_journal_records_total', 'Records appended to the journal', s.records),
    counter('tidegate_journal_bytes_written_total', 'Bytes written to journal segments', s.bytesWritten),
    counter(
      'tidegate_journal_segments_deleted_total',
      'Journal segments removed by retention',
      s.segmentsDeleted,
    ),
    counter(
      'tidegate_journal_records_lost_total',
      'Journal records that never reached disk (failed writes)',
      s.recordsLost,
    ),
    {
      name: 'tidegate_journal_error',
      help: '1 once a journal write has failed since start (see the log for the error)',
      type: 'gauge',
      value: s.lastError ? 1 : 0,
    },
  ]
}
