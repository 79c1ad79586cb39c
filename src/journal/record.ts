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
  return frame(recordJson(record))
}

/** The JSON of a record, without the frame (the writer frames it straight into its byte buffer). */
export function recordJson(record: JournalRecord): string {
  return record.kind === 'event' ? encodeEventJson(record.t, record.event) : JSON.stringify(record)
}

function frame(json: string): string {
  return `${checksumHex(crc32(json))} ${json}\n`
}

/** Bytes a frame adds around the JSON: 8 hex digits and a space before, a newline after. */
export const FRAME_BYTES = 10

/**
 * Frames JSON into `buf` at `at` (which must have room for 3 bytes per UTF-16 unit of json + FRAME_BYTES)
 * and returns the end. The same bytes as `Buffer.from(encodeRecord(...))`, without building the line string.
 */
export function frameInto(buf: Buffer, at: number, json: string): number {
  const n = buf.write(json, at + 9, 'utf8')
  buf.write(checksumHex(crc32(buf.subarray(at + 9, at + 9 + n))), at, 'latin1')
  buf[at + 8] = 0x20 // ' '
  buf[at + 9 + n] = 0x0a // '\n'
  return at + FRAME_BYTES + n
}

function checksumHex(sum: number): string {
  return (sum >>> 0).toString(16).padStart(8, '0')
}

/**
 * Event records are most of the journal and sit on the ingest hot path. What stays the same across a
 * device's events (type, stream, source, topic, tags) is serialised once per device and reused while it
 * matches; per event only the times, seq and data are. The JSON is the same record, keys in another order.
 */
interface CachedPrefix {
  event: Event
  prefix: string
}
const eventPrefixes = new Map<string, CachedPrefix>()
const MAX_CACHED_DEVICES = 20_000

function sameTags(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  let n = 0
  for (const k in a) {
    if (a[k] !== b[k]) return false
    n++
  }
  for (const _ in b) n--
  return n === 0
}

function prefixFor(e: Event): string {
  const hit = eventPrefixes.get(e.device)
  if (hit) {
    const c = hit.event
    if (
      c.type === e.type &&
      c.stream === e.stream &&
      c.source === e.source &&
      c.topic === e.topic &&
      sameTags(c.tags, e.tags)
    ) {
      return hit.prefix
    }
  }
  const prefix = `{"kind":"event","event":{"device":${JSON.stringify(e.device)},"type":${JSON.stringify(e.type)},"stream":${JSON.stringify(e.stream)},"source":${JSON.stringify(e.source)},"topic":${JSON.stringify(e.topic)},"tags":${JSON.stringify(e.tags)}`
  // Bounded: a flood of distinct device ids must not grow memory.
  if (!hit && eventPrefixes.size >= MAX_CACHED_DEVICES) eventPrefixes.clear()
  eventPrefixes.set(e.device, { event: { ...e, data: {} }, prefix })
  return prefix
}

function encodeEventJson(t: number, e: Event): string {
  const seq = e.seq === undefined ? '' : `,"seq":${e.seq}`
  return `${prefixFor(e)},"time":${e.time},"received":${e.received}${seq},"data":${JSON.stringify(e.data)}},"t":${t}}`
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
