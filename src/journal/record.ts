import { crc32 } from 'node:zlib'
import { type Event, sameTags } from '../core/event.js'

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
  const json = recordJson(record)
  return `${checksumHex(crc32(json))} ${json}\n`
}

/** The JSON of a record, without the frame. */
export function recordJson(record: JournalRecord): string {
  return recordParts(record).join('')
}

/**
 * The JSON of a record in pieces that concatenate to it. An event's pieces are written one after the
 * other into the writer's buffer: the ~300-character line is never built as one string (building and
 * flattening it was ~1 KB of garbage per event at 10k events/s). The array is reused by the next call.
 */
export function recordParts(record: JournalRecord): readonly string[] {
  if (record.kind !== 'event') {
    otherParts[0] = JSON.stringify(record)
    return otherParts
  }
  const e = record.event
  eventParts[0] = prefixFor(e)
  eventParts[1] = `,"time":${e.time},"received":${e.received}${e.seq === undefined ? '' : `,"seq":${e.seq}`},"data":`
  eventParts[2] = JSON.stringify(e.data)
  eventParts[3] = `},"t":${record.t}}`
  return eventParts
}
const eventParts = ['', '', '', '']
const otherParts = ['']

/** Bytes a frame adds around the JSON: 8 hex digits and a space before, a newline after. */
export const FRAME_BYTES = 10

/** Room `frameInto` needs for these pieces: UTF-8 takes at most 3 bytes per UTF-16 unit. */
export function frameRoom(parts: readonly string[]): number {
  let units = 0
  for (let i = 0; i < parts.length; i++) units += (parts[i] as string).length
  return units * 3 + FRAME_BYTES
}

/**
 * Frames the JSON given in pieces into `buf` at `at` (which must have `frameRoom(parts)` bytes) and returns
 * the end. The same bytes as `Buffer.from(encodeRecord(...))`, without building the line string.
 */
export function frameInto(buf: Buffer, at: number, parts: readonly string[]): number {
  let end = at + 9
  for (let i = 0; i < parts.length; i++) end += buf.write(parts[i] as string, end, 'utf8')
  buf.write(checksumHex(crc32(buf.subarray(at + 9, end))), at, 'latin1')
  buf[at + 8] = 0x20 // ' '
  buf[end] = 0x0a // '\n'
  return end + 1
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
  /** The prefix as UTF-8, copied into the writer's buffer per event (frameEventInto). */
  bytes: Buffer
}
const eventPrefixes = new Map<string, CachedPrefix>()
const MAX_CACHED_DEVICES = 20_000

function prefixFor(e: Event): string {
  return cachedPrefix(e).prefix
}

function cachedPrefix(e: Event): CachedPrefix {
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
      return hit
    }
  }
  const prefix = `{"kind":"event","event":{"device":${JSON.stringify(e.device)},"type":${JSON.stringify(e.type)},"stream":${JSON.stringify(e.stream)},"source":${JSON.stringify(e.source)},"topic":${JSON.stringify(e.topic)},"tags":${JSON.stringify(e.tags)}`
  // Bounded: a flood of distinct device ids must not grow memory.
  if (!hit && eventPrefixes.size >= MAX_CACHED_DEVICES) eventPrefixes.clear()
  const entry = { event: { ...e, data: {} }, prefix, bytes: Buffer.from(prefix) }
  eventPrefixes.set(e.device, entry)
  return entry
}

/** Longest JSON of a number this writes: a safe integer is ≤ 17 characters, String(any double) ≤ 24. */
const NUMBER_ROOM = 24
const TIME = Buffer.from(',"time":')
const RECEIVED = Buffer.from(',"received":')
const SEQ = Buffer.from(',"seq":')
const DATA = Buffer.from(',"data":')
const T = Buffer.from('},"t":')

/** An event record's per-device part as bytes (cached while the device's type, stream, source, topic and tags stay). */
export function eventPrefixBytes(e: Event): Buffer {
  return cachedPrefix(e).bytes
}

/** Room `frameEventInto` needs for an event with this prefix and its data's JSON. */
export function eventRecordRoom(prefix: Buffer, dataJson: string): number {
  return (
    prefix.length +
    TIME.length +
    RECEIVED.length +
    SEQ.length +
    DATA.length +
    T.length +
    4 * NUMBER_ROOM +
    dataJson.length * 3 +
    1 + // the closing brace
    FRAME_BYTES
  )
}

/**
 * Frames an event record straight into `buf` at `at` (which must have `eventRecordRoom` bytes), `prefix` being
 * `eventPrefixBytes(e)`: the same bytes as `Buffer.from(encodeRecord({ kind: 'event', t, event: e }))`. The per-device prefix is copied as
 * bytes, numbers and the checksum are written digit by digit: per event only the data's JSON is a string.
 * Building the times, the tail and the checksum as strings was ~500 B of garbage per event at 10k events/s.
 */
export function frameEventInto(
  buf: Buffer,
  at: number,
  prefix: Buffer,
  e: Event,
  t: number,
  dataJson: string,
): number {
  let end = at + 9
  prefix.copy(buf, end)
  end += prefix.length
  end = writeNumber(buf, copied(TIME, buf, end), e.time)
  end = writeNumber(buf, copied(RECEIVED, buf, end), e.received)
  if (e.seq !== undefined) end = writeNumber(buf, copied(SEQ, buf, end), e.seq)
  end = copied(DATA, buf, end)
  end += buf.write(dataJson, end, 'utf8')
  end = writeNumber(buf, copied(T, buf, end), t)
  buf[end++] = 0x7d // '}'
  writeHex8(buf, at, crc32(buf.subarray(at + 9, end)))
  buf[at + 8] = 0x20 // ' '
  buf[end] = 0x0a // '\n'
  return end + 1
}

function copied(literal: Buffer, buf: Buffer, at: number): number {
  literal.copy(buf, at)
  return at + literal.length
}

/** A number as a template literal writes it (`${n}`): integers digit by digit, anything else via String. */
function writeNumber(buf: Buffer, at: number, n: number): number {
  if (!Number.isSafeInteger(n)) return at + buf.write(String(n), at, 'latin1')
  if (n < 0) {
    buf[at++] = 0x2d // '-'
    n = -n
  }
  let digits = 1
  for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) digits++
  const end = at + digits
  for (let i = end - 1; i >= at; i--) {
    const rest = Math.floor(n / 10)
    buf[i] = 0x30 + (n - rest * 10)
    n = rest
  }
  return end
}

const HEX = Buffer.from('0123456789abcdef')

/** `checksumHex(sum)` written into buf: 8 lowercase hex digits, zero-padded. */
function writeHex8(buf: Buffer, at: number, sum: number): void {
  let rest = sum >>> 0
  for (let i = at + 7; i >= at; i--) {
    buf[i] = HEX[rest & 15] as number
    rest >>>= 4
  }
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
