import {
  closeSync,
  createReadStream,
  createWriteStream,
  fdatasyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  truncateSync,
  writeSync,
} from 'node:fs'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { createGzip } from 'node:zlib'
import type { Event } from '../core/event.js'
import {
  decodeRecord,
  eventPrefixBytes,
  eventRecordRoom,
  frameEventInto,
  frameInto,
  frameRoom,
  type JournalRecord,
  recordParts,
} from './record.js'
import { listSegments, segmentName } from './segments.js'

/** Buffered records are written once they reach this many bytes (or at the flush interval). */
const FLUSH_BYTES = 256 * 1024

export interface JournalWriterOptions {
  dir: string
  /** Total bytes of closed segments kept; the oldest go first. */
  maxBytes: number
  /** Closed segments older than this (by last write) are deleted. */
  maxAgeMs: number
  /** An open segment is closed (and compressed) at this size or age. */
  segmentBytes: number
  segmentAgeMs: number
  /** Buffered records are written at least this often. */
  flushIntervalMs: number
  /** fdatasync after each flush: survives power loss, costs throughput. */
  fsync: boolean
  now?: () => number
  /** Told about every failed write or compression, with how many records were lost (0 for compression). */
  onError?: (message: string, recordsLost: number) => void
  /** The write call; tests inject a failing one (a full disk cannot be made here). */
  writeFile?: (fd: number, data: Buffer) => void
}

export interface JournalWriterStats {
  records: number
  bytesWritten: number
  segmentsClosed: number
  segmentsDeleted: number
  tornRecordsRecovered: number
  /** Records that never reached disk (a failed write): counted, never silent. */
  recordsLost: number
  lastError: string | null
}

/**
 * Appends records to the open segment. Appends are buffered in memory and written with one write() per
 * flush, so the hot path only serialises. Closed segments are gzip-compressed off the event loop.
 */
export class JournalWriter {
  private fd: number | null = null
  private seq = 0
  private openedAt = 0
  private segmentBytes = 0
  /**
   * Records wait here as bytes until the next flush (at most flushInterval). Bytes, not strings: strings
   * held for 200 ms outlive several young-generation collections at 10k msg/s and were copied and
   * promoted by each one; the line is framed straight into this buffer and its string dies at once.
   */
  private readonly bytes = Buffer.allocUnsafeSlow(FLUSH_BYTES)
  private used = 0
  private bufferedRecords = 0
  private timer: NodeJS.Timeout | null = null
  private compressing: Promise<void> = Promise.resolve()
  private readonly now: () => number
  readonly stats: JournalWriterStats = {
    records: 0,
    bytesWritten: 0,
    segmentsClosed: 0,
    segmentsDeleted: 0,
    tornRecordsRecovered: 0,
    recordsLost: 0,
    lastError: null,
  }

  constructor(private readonly options: JournalWriterOptions) {
    this.now = options.now ?? Date.now
  }

  /** Recovers what a previous run left (torn tail cut, open segment closed), then opens a new segment. */
  async open(): Promise<void> {
    mkdirSync(this.options.dir, { recursive: true })
    const segments = listSegments(this.options.dir)
    for (const s of segments.filter((s) => !s.closed)) {
      this.stats.tornRecordsRecovered += cutTornTail(s.path)
      this.queueCompression(s.path)
    }
    await this.compressing
    this.seq = segments.reduce((max, s) => Math.max(max, s.seq), 0)
    this.openSegment()
    this.timer = setInterval(() => this.tick(), this.options.flushIntervalMs)
    this.timer.unref()
  }

  append(record: JournalRecord): void {
    if (record.kind === 'event') return this.appendEvent(record.event, record.t)
    const parts = recordParts(record)
    const room = frameRoom(parts)
    const fit = this.makeRoom(room)
    if (fit === 'alone') {
      const own = Buffer.allocUnsafe(room)
      this.writeChunk(own.subarray(0, frameInto(own, 0, parts)), 1)
    } else if (fit === 'fits') {
      this.used = frameInto(this.bytes, this.used, parts)
      this.bufferedRecords++
    }
  }

  /** `append({ kind: 'event', t, event })` without the record object: the hot path, once per event. */
  appendEvent(event: Event, t: number): void {
    const dataJson = JSON.stringify(event.data)
    const prefix = eventPrefixBytes(event) // looked up once: room and frame both need it
    const room = eventRecordRoom(prefix, dataJson)
    const fit = this.makeRoom(room)
    if (fit === 'alone') {
      const own = Buffer.allocUnsafe(room)
      this.writeChunk(own.subarray(0, frameEventInto(own, 0, prefix, event, t, dataJson)), 1)
    } else if (fit === 'fits') {
      this.used = frameEventInto(this.bytes, this.used, prefix, event, t, dataJson)
      this.bufferedRecords++
    }
  }

  /**
   * Counts a record of `room` bytes and makes room for it in the buffer, flushing it if need be. 'alone': it is
   * larger than the whole buffer (a huge payload) and is to be framed on its own and written at once; 'lost':
   * the journal is not open yet and the buffer is full (counted, never silent).
   */
  private makeRoom(room: number): 'fits' | 'alone' | 'lost' {
    if (this.used + room > this.bytes.length) this.flush()
    this.stats.records++
    if (this.used + room > this.bytes.length && this.used > 0) {
      // Not open yet: flush keeps the buffer until open.
      this.fail('journal buffer full before the journal opened', 1)
      return 'lost'
    }
    return room > this.bytes.length ? 'alone' : 'fits'
  }

  /** Writes buffered records to the open segment. */
  flush(): void {
    if (this.fd === null || this.used === 0) return
    const records = this.bufferedRecords
    const chunk = this.bytes.subarray(0, this.used)
    this.used = 0
    this.bufferedRecords = 0
    // writeSync is done with the bytes when it returns, so the buffer is refilled from the start.
    this.writeChunk(chunk, records)
  }

  private writeChunk(chunk: Buffer, records: number): void {
    if (this.fd === null) {
      this.fail('journal is not open', records)
      return
    }
    try {
      ;(this.options.writeFile ?? writeSync)(this.fd, chunk)
      if (this.options.fsync) fdatasyncSync(this.fd)
      this.segmentBytes += chunk.length
      this.stats.bytesWritten += chunk.length
    } catch (err) {
      this.fail((err as Error).message, records)
    }
  }

  private fail(message: string, recordsLost: number): void {
    this.stats.lastError = message
    this.stats.recordsLost += recordsLost
    this.options.onError?.(message, recordsLost)
  }

  private tick(): void {
    this.flush()
    if (
      this.segmentBytes >= this.options.segmentBytes ||
      (this.segmentBytes > 0 && this.now() - this.openedAt >= this.options.segmentAgeMs)
    ) {
      this.rotate()
    }
  }

  /** Closes the open segment (compressing it in the background) and opens the next one. */
  rotate(): void {
    this.flush()
    const path = this.closeSegment()
    if (path) this.queueCompression(path)
    this.openSegment()
  }

  private openSegment(): void {
    this.seq++
    this.fd = openSync(join(this.options.dir, segmentName(this.seq, false)), 'a')
    this.openedAt = this.now()
    this.segmentBytes = 0
  }

  private closeSegment(): string | null {
    if (this.fd === null) return null
    closeSync(this.fd)
    this.fd = null
    const path = join(this.options.dir, segmentName(this.seq, false))
    if (this.segmentBytes === 0) {
      rmSync(path, { force: true })
      return null
    }
    return path
  }

  private queueCompression(path: string): void {
    this.compressing = this.compressing.then(async () => {
      try {
        const tmp = `${path}.gz.tmp`
        // Level 1: JSON lines still shrink 5-10×, at a fraction of the default level's CPU (segments close often under load).
        await pipeline(createReadStream(path), createGzip({ level: 1 }), createWriteStream(tmp))
        // rename is atomic: a reader sees either the open segment or the finished .gz, never a half file
        renameSync(tmp, `${path}.gz`)
        rmSync(path, { force: true })
        this.stats.segmentsClosed++
        this.applyRetention()
      } catch (err) {
        this.fail(`compressing ${path}: ${(err as Error).message}`, 0)
      }
    })
  }

  /** Deletes the oldest closed segments beyond maxBytes or maxAge. */
  applyRetention(): void {
    const closed = listSegments(this.options.dir).filter((s) => s.closed)
    let total = closed.reduce((n, s) => n + s.bytes, 0)
    const cutoff = this.now() - this.options.maxAgeMs
    for (const s of closed) {
      if (total <= this.options.maxBytes && s.mtimeMs >= cutoff) break
      rmSync(s.path, { force: true })
      total -= s.bytes
      this.stats.segmentsDeleted++
    }
  }

  /** Flushes, closes and compresses the open segment. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.flush()
    const path = this.closeSegment()
    if (path) this.queueCompression(path)
    await this.compressing
  }
}

/** Truncates an open segment after its last intact record; returns how many torn or corrupt lines were cut. */
function cutTornTail(path: string): number {
  const lines = readFileSync(path, 'utf8').split('\n')
  // After the final newline split() leaves '' for a clean file, or the torn fragment of an unfinished write.
  let cut = lines.pop() ? 1 : 0
  while (lines.length > 0 && decodeRecord(lines[lines.length - 1] as string) === null) {
    lines.pop()
    cut++
  }
  if (cut > 0)
    truncateSync(
      path,
      lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0),
    )
  return cut
}
