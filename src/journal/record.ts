import { crc32 } from 'node:zlib'
import type { Event } from '../core/event.js'

/** One journal entry. `t` is when it happened at the gateway (epoch ms): receive time for events. */
export type JournalRecord =
  | { kind: 'event'; t: number; event: Event }
  | { kind: 'alert'; t: number; topic: string; alert: unknown }
  | { kind: 'command'; t: number; topic: string; command: unknown }
  | { kind: 'ack'; t: number; topic: string; ack: unknown }

export type JournalKind = JournalRecord['kind']

/**
 * A journal line is `<crc32 as 8 hex digits> <json>\n`. The checksum lets a reader tell a torn or corrupted
 * record (power cut mid-write, SIGKILL between two write() calls) from a good one and skip it.
 */
export function encodeRecord(record: JournalRecord): string {
  const json = JSON.stringify(record)
  return `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`
}

/** Returns the record, or null when the line is torn, corrupted or not a journal line. */
export function decodeRecord(line: string): JournalRecord | null {
  if (line.length < 10 || line[8] !== ' ') return null
  const json = line.slice(9)
  if (crc32(json).toString(16).padStart(8, '0') !== line.slice(0, 8)) return null
  try {
    return JSON.parse(json) as JournalRecord
  } catch {
    return null
  }
}
