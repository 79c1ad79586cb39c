import { describe, expect, it } from 'vitest'
import type { CommandOutcome } from '../../../src/commands/command-outcome.js'
import { CommandLog } from '../../../src/web/state/command-log.js'
import { DeviceBoard } from '../../../src/web/state/device-board.js'
import { RateHistory } from '../../../src/web/state/rate-history.js'
import { Ring } from '../../../src/web/state/ring.js'
import { SAMPLE_SPACING_MS, SampleRing } from '../../../src/web/state/sample-ring.js'
import { LIMITS } from '../../../src/web/status-model.js'

const outcome = (id: string, status: CommandOutcome['status']): CommandOutcome => ({
  id,
  device: 'd',
  name: 'set',
  params: {},
  source: 'web:olga',
  status,
  attempt: 1,
  at: 0,
})

describe('status page memory is bounded', () => {
  it('Ring keeps the last N, oldest first; latest() is newest first', () => {
    const r = new Ring<number>(3)
    for (let i = 1; i <= 5; i++) r.push(i)
    expect(r.toArray()).toEqual([3, 4, 5])
    expect(r.latest(2)).toEqual([5, 4])
    expect(r.size).toBe(3)
  })

  it('SampleRing: one slot per SAMPLE_SPACING_MS (the newest reading wins), the last N slots, numeric and boolean fields only', () => {
    const r = new SampleRing(3)
    r.push(0, { t: 1, on: true, name: 'x' })
    r.push(1000, { t: 2 }) // same slot: replaces, keeps fields it lacks as they were
    r.push(SAMPLE_SPACING_MS, { t: 3, on: false })
    r.push(2 * SAMPLE_SPACING_MS, { t: Number.NaN, extra: 7 })
    expect(r.toArray()).toEqual([
      { t: 1000, v: { t: 2, on: 1 } },
      { t: SAMPLE_SPACING_MS, v: { t: 3, on: 0 } },
      { t: 2 * SAMPLE_SPACING_MS, v: { extra: 7 } },
    ])
    r.push(3 * SAMPLE_SPACING_MS, { t: 4 })
    expect(r.size).toBe(3)
    expect(r.toArray().map((s) => s.t)).toEqual([1, 2, 3].map((i) => i * SAMPLE_SPACING_MS))
    // A reading older than the newest slot starts its own slot (a device clock that jumped back).
    r.push(0, { t: 5 })
    expect(r.toArray().at(-1)).toEqual({ t: 0, v: { t: 5 } })
  })

  it('SampleRing grows as a device keeps reporting, up to its capacity, keeping order across growth and wrap', () => {
    const r = new SampleRing(20)
    for (let i = 0; i < 25; i++) r.push(i * SAMPLE_SPACING_MS, i % 2 ? { a: i } : { a: i, b: -i })
    const samples = r.toArray()
    expect(samples.map((s) => s.v.a)).toEqual(Array.from({ length: 20 }, (_, i) => i + 5))
    expect(samples.map((s) => s.v.b)).toEqual(
      Array.from({ length: 20 }, (_, i) => ((i + 5) % 2 ? undefined : -(i + 5))),
    )
  })

  it('SampleRing keeps values to float32 precision and gives back the shortest decimal of each: a reading reads back as sent', () => {
    const sent = [21.37, -0.1, 1e-7, 3.3333333, 1013.25, 0.5, 12_345_678, -273.15, 99.99999]
    const r = new SampleRing(sent.length)
    sent.forEach((x, i) => {
      r.push(i * SAMPLE_SPACING_MS, { x, big: 123_456_789 })
    })
    expect(r.toArray().map((s) => s.v.x)).toEqual(sent)
    // A value column is float32 (4 bytes a slot, not 8): past its 24-bit mantissa an integer comes back
    // as its nearest float32, not garbled.
    expect(r.toArray()[0]?.v.big).toBe(123_456_792)
    // Beyond float32's range a value is left out of the chart, as NaN is, rather than sent as null.
    r.push(sent.length * SAMPLE_SPACING_MS, { x: 1e40, big: 1 })
    expect(r.toArray().at(-1)?.v).toEqual({ big: 1 })
  })

  it("the status page's chart keeps the last hour at one point per 30 s (120 points), whatever the device's rate", () => {
    const board = new DeviceBoard(LIMITS.devices, LIMITS.samplesPerDevice)
    const t0 = 1_764_489_600_000 // aligned to 30 s
    for (let t = t0; t < t0 + 2 * 3600_000; t += 10_000)
      board.observe({
        device: 'd',
        type: 'x',
        stream: 'telemetry',
        time: t,
        received: t,
        data: { v: 1 },
        tags: {},
        source: 'mqtt',
        topic: 'devices/d/telemetry',
      })
    const samples = board.samples('d')
    expect(samples).toHaveLength(120)
    expect(new Set(samples.slice(1).map((s, i) => s.t - (samples[i] as { t: number }).t))).toEqual(
      new Set([30_000]),
    )
    // The newest reading of each 30 s, up to the last one heard.
    expect(samples.at(-1)?.t).toBe(t0 + 2 * 3600_000 - 10_000)
  })

  it('SampleRing holds 8 slots, then its whole capacity at once: memory levels off when the ninth slot opens', () => {
    const r = new SampleRing(360)
    const slotBytes = 8 + 2 * 4 // a float64 time and two float32 fields
    for (let i = 0; i < 8; i++) r.push(i * SAMPLE_SPACING_MS, { a: i, b: -i })
    expect(r.bytes).toBe(8 * slotBytes)
    r.push(8 * SAMPLE_SPACING_MS, { a: 8, b: -8 })
    expect(r.bytes).toBe(360 * slotBytes)
    for (let i = 9; i < 1000; i++) r.push(i * SAMPLE_SPACING_MS, { a: i, b: -i })
    expect(r.bytes).toBe(360 * slotBytes)
    expect(r.toArray().map((s) => s.v.a)).toEqual(Array.from({ length: 360 }, (_, i) => i + 640))
  })

  it("DeviceBoard keeps a device's last values and tags in its own objects, not the event's", () => {
    const board = new DeviceBoard(10, 4)
    const event = (data: Record<string, unknown>, tags: Record<string, string>) => ({
      device: 'd1',
      type: 't',
      stream: 'telemetry',
      time: 1,
      received: 1,
      data,
      tags,
      source: 'mqtt' as const,
      topic: 'devices/d1/telemetry',
    })
    const first = event({ t: 20.5, rh: 40 }, { zone: 'north' })
    const d = board.observe(first)
    const values = d?.values
    const tags = d?.tags
    expect(values).toEqual({ t: 20.5, rh: 40 })
    expect(values).not.toBe(first.data)
    // Same keys: written into the same object; same tags: the kept object stays.
    const second = event({ t: 21.5, rh: 41 }, { zone: 'north' })
    board.observe(second)
    expect(d?.values).toBe(values)
    expect(d?.values).toEqual({ t: 21.5, rh: 41 })
    expect(d?.tags).toBe(tags)
    // Other keys (one missing, one new) and other tags: exactly the new reading's.
    board.observe(event({ t: 22.5, state: 'ok' }, { zone: 'south' }))
    expect(d?.values).toEqual({ t: 22.5, state: 'ok' })
    expect(d?.tags).toEqual({ zone: 'south' })
    board.observe(event({ t: 23.5 }, {}))
    expect(d?.values).toEqual({ t: 23.5 })
    expect(d?.tags).toEqual({})
  })

  it("DeviceBoard does not chart a type's time and sequence fields (they would cost a column each)", () => {
    const board = new DeviceBoard(10, 4, (type) => (type === 'climate' ? new Set(['ts', 'seq']) : undefined))
    const reading = (type: string, time: number, data: Record<string, unknown>) =>
      board.observe({
        device: type,
        type,
        stream: 'telemetry',
        time,
        received: time,
        data,
        tags: {},
        source: 'mqtt',
        topic: `devices/${type}/telemetry`,
      })
    reading('climate', 0, { t: 20, ts: 1_764_489_600_000, seq: 1 })
    reading('climate', SAMPLE_SPACING_MS, { t: 21, ts: 1_764_489_610_000, seq: 2 })
    reading('other', 0, { t: 20, ts: 5, seq: 1 })
    expect(board.samples('climate').map((x) => x.v)).toEqual([{ t: 20 }, { t: 21 }])
    expect(board.samples('other').map((x) => x.v)).toEqual([{ t: 20, ts: 5, seq: 1 }])
    expect(board.get('climate')?.values).toEqual({ t: 21, ts: 1_764_489_610_000, seq: 2 }) // the table shows them
  })

  it('DeviceBoard: beyond its bound the least recently heard devices are forgotten, however long ago they were first seen', () => {
    const board = new DeviceBoard(10, 4)
    const reading = (device: string, received: number) =>
      board.observe({
        device,
        type: 't',
        stream: 'telemetry',
        time: received,
        received,
        data: { v: received },
        tags: {},
        source: 'mqtt',
        topic: `devices/${device}/telemetry`,
      })
    for (let i = 0; i < 10; i++) reading(`d${i}`, i * SAMPLE_SPACING_MS)
    reading('d0', 100 * SAMPLE_SPACING_MS) // first seen, but heard again just now
    reading('new', 101 * SAMPLE_SPACING_MS)
    const ids = [...board.all()].map((d) => d.id)
    expect(ids).toHaveLength(10)
    expect(ids).toContain('d0')
    expect(ids).toContain('new')
    expect(ids).not.toContain('d1') // the least recently heard
    expect(board.samples('d0').map((s) => s.v.v)).toEqual([0, 100 * SAMPLE_SPACING_MS])
  })

  it("DeviceBoard's chart samples are what a ring pushed with every reading holds, read at any moment", () => {
    const board = new DeviceBoard(10, 6)
    const ring = new SampleRing(6)
    const s = SAMPLE_SPACING_MS
    // Same-slot overwrites, a device alternating its fields, a clock that jumps back, and booleans.
    const readings: [number, Record<string, unknown>][] = [
      [0, { t: 1, rh: 40 }],
      [100, { t: 2, rh: 41 }],
      [200, { rh: 42, on: true }], // other fields in the same slot: t keeps 2
      [300, { t: 3 }],
      [s, { t: 4, rh: 43 }],
      [s + 1, { t: 5, rh: 44 }],
      [50, { t: 6 }], // older than the newest: a slot of its own
      [2 * s, { t: 7, on: false }],
      [3 * s + 5, { t: 8 }],
      [3 * s + 6, { rh: 45 }],
      [3 * s + 7, { rh: 46 }],
      [5 * s, { t: 9, rh: 47 }],
      [7 * s, { t: 10 }],
      [9 * s, { t: 11 }], // beyond the capacity: the oldest slots go
    ]
    readings.forEach(([time, data], i) => {
      board.observe({
        device: 'd',
        type: 't',
        stream: 'telemetry',
        time,
        received: i,
        data,
        tags: {},
        source: 'mqtt',
        topic: 'devices/d/telemetry',
      })
      ring.push(time, data)
      if (i % 3 === 1) expect(board.samples('d')).toEqual(ring.toArray()) // reading commits the newest
      // The first slot's fields, each from the newest reading that had it.
      if (i === 4) expect(board.samples('d')[0]).toEqual({ t: 300, v: { t: 3, rh: 42, on: 1 } })
    })
    expect(board.samples('d')).toEqual(ring.toArray())
  })

  it('CommandLog: latest status per id; beyond its size the oldest finished command goes, a pending one stays', () => {
    const log = new CommandLog(2)
    log.observe(outcome('a', 'sent'))
    log.observe(outcome('b', 'sent'))
    log.observe(outcome('b', 'acked'))
    log.observe(outcome('c', 'acked'))
    expect(log.recent().map((o) => `${o.id}:${o.status}`)).toEqual(['c:acked', 'a:sent'])
    expect(log.pending().map((o) => o.id)).toEqual(['a'])
    // Refusals before the dispatcher have no id: each stays its own entry.
    log.observe(outcome('', 'refused'))
    expect(log.recent()[0]?.id).toBe('refused-1')
  })

  it('RateHistory: per-second rates from running totals, the first sample only sets the baseline', () => {
    const h = new RateHistory()
    expect(h.sample(1000, 10, 0)).toBeNull()
    expect(h.sample(2000, 25, 5)).toEqual({ t: 2000, in: 15, out: 5 })
    expect(h.sample(4000, 35, 5)).toEqual({ t: 4000, in: 5, out: 0 })
    expect(h.samples.size).toBe(2)
  })
})
