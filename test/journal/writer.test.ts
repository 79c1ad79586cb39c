import { spawn } from 'node:child_process'
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Event } from '../../src/core/event.js'
import { readJournal } from '../../src/journal/reader.js'
import {
  decodeRecord,
  encodeRecord,
  eventPrefixBytes,
  eventRecordRoom,
  frameEventInto,
  frameInto,
  frameRoom,
  recordParts,
} from '../../src/journal/record.js'
import { listSegments } from '../../src/journal/segments.js'
import { JournalWriter, type JournalWriterOptions } from '../../src/journal/writer.js'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tidegate-journal-'))
  dirs.push(d)
  return d
}

function event(i: number, device = 'dev-1'): Event {
  return {
    device,
    type: 'climate-sensor',
    stream: 'telemetry',
    time: 1000 + i,
    received: 1000 + i,
    data: { temperature: i },
    tags: {},
    source: 'mqtt',
    topic: `devices/${device}/telemetry`,
  }
}

function options(dir: string, extra: Partial<JournalWriterOptions> = {}): JournalWriterOptions {
  return {
    dir,
    maxBytes: 1 << 30,
    maxAgeMs: 86_400_000,
    segmentBytes: 1 << 30,
    segmentAgeMs: 3_600_000,
    flushIntervalMs: 10_000,
    fsync: false,
    ...extra,
  }
}

describe('journal records', () => {
  it('round-trips and rejects a corrupted or torn line', () => {
    const line = encodeRecord({ kind: 'event', t: 5, event: event(5) }).trimEnd()
    expect(decodeRecord(line)).toMatchObject({ kind: 'event', t: 5 })
    expect(decodeRecord(line.replace('"temperature":5', '"temperature":6'))).toBeNull()
    expect(decodeRecord(line.slice(0, line.length - 3))).toBeNull()
  })

  it('event records decode to the same event, also when the cached per-device part changes', () => {
    const a = { ...event(1), seq: 7, tags: { site: 'gh', zone: 'n "1"' } }
    const b = { ...a, received: 1002, data: { temperature: 2, nested: { x: [1, 'ü'] } } }
    const c = { ...b, tags: { site: 'gh' }, topic: 'devices/dev-1/other' } // same device, other tags and topic
    const d = { ...event(4), seq: undefined }
    delete d.seq
    for (const e of [a, b, c, d]) {
      const record = { kind: 'event' as const, t: e.received, event: e }
      expect(decodeRecord(encodeRecord(record).trimEnd())).toEqual(record)
    }
  })
})

describe('frameEventInto', () => {
  it('writes the bytes encodeRecord writes, for any numbers, seq or not, and tags or topic that change', () => {
    const base = { ...event(1), tags: { site: 'gh' } }
    const events: Event[] = [
      { ...base, time: 1_764_489_600_123, received: 1_764_489_600_456, seq: 0 },
      { ...base, time: 1_764_489_600_123.5, received: 9, seq: -42 }, // fractional time (seconds × 1000)
      { ...base, time: 0, received: -0, seq: Number.MAX_SAFE_INTEGER },
      { ...base, time: 2 ** 60, received: 1e21, seq: 0.1 }, // beyond safe integers: as String() writes them
      { ...base, time: -1_000_000, received: 10, data: { text: 'grüße 𝄞 "q"\n', n: [1.5, null, true] } },
      { ...base, tags: { site: 'other', zone: 'z "1"' }, topic: 'devices/dev-1/other' },
    ]
    delete (events[5] as Event).seq
    for (const e of events) {
      const t = e.received + 7
      const json = JSON.stringify(e.data)
      const prefix = eventPrefixBytes(e)
      const buf = Buffer.alloc(eventRecordRoom(prefix, json))
      const end = frameEventInto(buf, 0, prefix, e, t, json)
      const line = encodeRecord({ kind: 'event', t, event: e })
      expect(buf.subarray(0, end).toString()).toBe(line)
      expect(decodeRecord(line.trimEnd())).toEqual(JSON.parse(line.slice(9))) // the checksum holds
    }
  })

  it('checksums every digit: a record with one digit changed no longer decodes', () => {
    const e = { ...event(3), time: 1_764_489_600_123, seq: 5 }
    const json = JSON.stringify(e.data)
    const prefix = eventPrefixBytes(e)
    const buf = Buffer.alloc(eventRecordRoom(prefix, json))
    const line = buf.subarray(0, frameEventInto(buf, 0, prefix, e, 9, json) - 1).toString()
    expect(decodeRecord(line)).not.toBeNull()
    expect(decodeRecord(line.replace('1764489600123', '1764489600124'))).toBeNull()
    expect(
      decodeRecord(line.replace(/^0/, '1').replace(/^([1-9a-f])/, (c) => (c === '1' ? '2' : '1'))),
    ).toBeNull()
  })
})

describe('JournalWriter', () => {
  it('keeps records appended before open until it opens; past its buffer they are counted as lost, not kept unbounded', async () => {
    const dir = tempDir()
    const writer = new JournalWriter(options(dir))
    const big = (i: number) => ({ ...event(i), data: { text: 'x'.repeat(20_000) } }) // 20 KB each, 400 KB in all
    for (let i = 0; i < 20; i++) writer.append({ kind: 'event', t: i, event: big(i) })
    expect(writer.stats.records).toBe(20)
    expect(writer.stats.recordsLost).toBeGreaterThan(0) // the 256 KiB buffer took what it could
    const kept = writer.stats.records - writer.stats.recordsLost
    await writer.open()
    await writer.close()
    const back = [...readJournal(dir)]
    expect(back).toHaveLength(kept)
    expect(back.map((r) => r.t)).toEqual([...Array(kept).keys()])
  })

  it('frames records into its byte buffer exactly as encodeRecord does (non-ASCII, and larger than the buffer)', async () => {
    const dir = tempDir()
    const huge = { ...event(2), data: { text: 'ü€𝄞'.repeat(40_000) } } // > the 256 KiB buffer in UTF-8 worst case
    const records = [
      { kind: 'event' as const, t: 1, event: { ...event(1), data: { text: 'grüße 𝄞 "q"' } } },
      { kind: 'event' as const, t: 2, event: huge },
      { kind: 'alert' as const, t: 3, topic: 'alerts/x', alert: { message: 'Überhitzung' } },
    ]
    for (const r of records) {
      const parts = recordParts(r)
      const buf = Buffer.alloc(frameRoom(parts))
      expect(buf.subarray(0, frameInto(buf, 0, parts)).equals(Buffer.from(encodeRecord(r)))).toBe(true)
    }
    const writer = new JournalWriter(options(dir))
    await writer.open()
    for (const r of records) writer.append(r)
    await writer.close()
    const back = []
    for await (const r of readJournal(dir)) back.push(r)
    expect(back).toEqual(records)
    expect(writer.stats.recordsLost).toBe(0)
  })

  it('writes segments, compresses closed ones and reads everything back in order', async () => {
    const dir = tempDir()
    const writer = new JournalWriter(options(dir))
    await writer.open()
    for (let i = 0; i < 100; i++) writer.append({ kind: 'event', t: 1000 + i, event: event(i) })
    writer.rotate()
    for (let i = 100; i < 150; i++) writer.append({ kind: 'event', t: 1000 + i, event: event(i, 'dev-2') })
    await writer.close()
    const segments = listSegments(dir)
    expect(segments.map((s) => s.closed)).toEqual([true, true])
    const all = [...readJournal(dir)]
    expect(all).toHaveLength(150)
    expect(all.map((r) => r.t)).toEqual(Array.from({ length: 150 }, (_, i) => 1000 + i))
    const filtered = [...readJournal(dir, { devices: new Set(['dev-2']), from: 1120 })]
    expect(filtered).toHaveLength(30)
  })

  it('a failed write is counted and reported, records lost are never silent, and later writes go on', async () => {
    const dir = tempDir()
    const errors: [string, number][] = []
    let failNext = true
    const writer = new JournalWriter(
      options(dir, {
        onError: (message, lost) => errors.push([message, lost]),
        writeFile: (fd, data) => {
          if (failNext) {
            failNext = false
            throw new Error('ENOSPC: no space left on device, write')
          }
          writeSync(fd, data)
        },
      }),
    )
    await writer.open()
    for (let i = 0; i < 3; i++) writer.append({ kind: 'event', t: i, event: event(i) })
    writer.flush()
    for (let i = 3; i < 5; i++) writer.append({ kind: 'event', t: i, event: event(i) })
    await writer.close()
    expect(errors).toEqual([['ENOSPC: no space left on device, write', 3]])
    expect(writer.stats.recordsLost).toBe(3)
    expect([...readJournal(dir)].map((r) => r.t)).toEqual([3, 4])
  })

  it('retention deletes the oldest closed segments beyond maxBytes', async () => {
    const dir = tempDir()
    const writer = new JournalWriter(options(dir, { maxBytes: 1_500 }))
    await writer.open()
    for (let s = 0; s < 6; s++) {
      // incompressible-ish payloads so each closed segment is well over 500 bytes
      for (let i = 0; i < 20; i++)
        writer.append({
          kind: 'ack',
          t: s * 100 + i,
          topic: 'devices/x/acks',
          ack: { id: `${s}-${i}-${Math.random()}` },
        })
      writer.rotate()
    }
    await writer.close()
    const left = listSegments(dir)
    expect(left.length).toBeLessThan(6)
    expect(left.reduce((n, s) => n + s.bytes, 0)).toBeLessThanOrEqual(1_500)
    expect(writer.stats.segmentsDeleted).toBe(6 - left.length)
    // what is left is the newest data
    const ts = [...readJournal(dir)].map((r) => r.t)
    expect(Math.max(...ts)).toBe(519)
    expect(Math.min(...ts)).toBeGreaterThan(0)
  })

  it('retention deletes closed segments older than maxAge', async () => {
    const dir = tempDir()
    let now = 1_000_000
    const writer = new JournalWriter(options(dir, { maxAgeMs: 60_000, now: () => now }))
    await writer.open()
    writer.append({ kind: 'ack', t: 1, topic: 'devices/x/acks', ack: {} })
    writer.rotate()
    await writer.close()
    expect(listSegments(dir)).toHaveLength(1)
    // the file's mtime is real wall time; move the writer's clock past maxAge of it
    now = Date.now() + 120_000
    writer.applyRetention()
    expect(listSegments(dir)).toHaveLength(0)
  })

  it('a torn tail left by a crash is cut on open and the intact records survive', async () => {
    const dir = tempDir()
    const open = join(dir, '00000001.jsonl')
    const good = [0, 1, 2].map((i) => encodeRecord({ kind: 'event', t: i, event: event(i) })).join('')
    writeFileSync(open, good)
    appendFileSync(open, encodeRecord({ kind: 'event', t: 3, event: event(3) }).slice(0, 40)) // torn write
    const writer = new JournalWriter(options(dir))
    await writer.open()
    expect(writer.stats.tornRecordsRecovered).toBe(1)
    writer.append({ kind: 'event', t: 10, event: event(10) })
    await writer.close()
    const stats = { records: 0, corrupt: 0 }
    expect([...readJournal(dir, {}, stats)].map((r) => r.t)).toEqual([0, 1, 2, 10])
    expect(stats.corrupt).toBe(0)
  })

  it('recovers after the writing process is killed with SIGKILL mid-stream', async () => {
    const dir = tempDir()
    const script = join(dir, 'writer.mts')
    writeFileSync(
      script,
      `import { JournalWriter } from ${JSON.stringify(join(process.cwd(), 'src/journal/writer.ts'))}
const w = new JournalWriter({ dir: ${JSON.stringify(join(dir, 'j'))}, maxBytes: 1 << 30, maxAgeMs: 1e9, segmentBytes: 1 << 30, segmentAgeMs: 1e9, flushIntervalMs: 1, fsync: false })
await w.open()
let i = 0
process.stdout.write('ready\\n')
setInterval(() => { for (let k = 0; k < 500; k++) { w.append({ kind: 'ack', t: i, topic: 'devices/x/acks', ack: { i, pad: 'x'.repeat(200) } }); i++ } w.flush() }, 1)
`,
    )
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    await new Promise<void>((resolve, reject) => {
      child.stdout?.once('data', () => resolve())
      child.once('exit', (code) => reject(new Error(`writer exited early with ${code}`)))
    })
    await new Promise((r) => setTimeout(r, 400))
    const exited = new Promise((r) => child.once('exit', r))
    process.kill(child.pid as number, 'SIGKILL')
    await exited
    expect(existsSync(join(dir, 'j'))).toBe(true)
    const writer = new JournalWriter(options(join(dir, 'j')))
    await writer.open()
    await writer.close()
    const stats = { records: 0, corrupt: 0 }
    const ts = [...readJournal(join(dir, 'j'), {}, stats)].map((r) => r.t)
    expect(ts.length).toBeGreaterThan(1000)
    expect(stats.corrupt).toBe(0)
    // no gaps: records are an unbroken prefix of what was written
    expect(ts).toEqual(Array.from({ length: ts.length }, (_, i) => i))
    expect(readdirSync(join(dir, 'j')).every((n) => n.endsWith('.gz'))).toBe(true)
  })
})
