import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import { decodeRecord, type JournalKind, type JournalRecord } from './record.js'
import { listSegments } from './segments.js'

export interface JournalFilter {
  from?: number
  to?: number
  devices?: ReadonlySet<string>
  types?: ReadonlySet<string>
  kinds?: ReadonlySet<JournalKind>
}

export interface ReadStats {
  records: number
  corrupt: number
}

function keep(r: JournalRecord, f: JournalFilter): boolean {
  if (f.from !== undefined && r.t < f.from) return false
  if (f.to !== undefined && r.t >= f.to) return false
  if (f.kinds && !f.kinds.has(r.kind)) return false
  if (r.kind === 'event') {
    if (f.devices && !f.devices.has(r.event.device)) return false
    if (f.types && !f.types.has(r.event.type)) return false
  } else if (f.devices || f.types) {
    // alerts, commands and acks carry a topic; a device filter keeps those naming the device
    if (f.types) return false
    const topic = r.topic
    if (f.devices && ![...f.devices].some((d) => topic.includes(`/${d}/`) || topic.endsWith(`/${d}`)))
      return false
  }
  return true
}

/** Reads journal records oldest first; torn or corrupt lines are skipped and counted. */
export function* readJournal(
  dir: string,
  filter: JournalFilter = {},
  stats: ReadStats = { records: 0, corrupt: 0 },
): Generator<JournalRecord> {
  for (const segment of listSegments(dir)) {
    let text: string
    try {
      const raw = readFileSync(segment.path)
      text = (segment.closed ? gunzipSync(raw) : raw).toString('utf8')
    } catch {
      // removed by retention while reading, or a damaged archive: count and go on
      stats.corrupt++
      continue
    }
    for (const line of text.split('\n')) {
      if (line.length === 0) continue
      const record = decodeRecord(line)
      if (!record) {
        stats.corrupt++
        continue
      }
      stats.records++
      if (keep(record, filter)) yield record
    }
  }
}
