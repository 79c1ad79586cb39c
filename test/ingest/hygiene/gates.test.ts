import { describe, expect, it } from 'vitest'
import type { DeadLetter } from '../../../src/core/dead-letter.js'
import type { Event } from '../../../src/core/event.js'
import { DeadLetters } from '../../../src/ingest/dead-letters.js'
import { newHygieneCounters } from '../../../src/ingest/hygiene/counters.js'
import { createDedupeGate } from '../../../src/ingest/hygiene/dedupe-gate.js'
import { createOrderGate } from '../../../src/ingest/hygiene/order-gate.js'
import { createSkewGate } from '../../../src/ingest/hygiene/skew-gate.js'
import { createLogger, RateLimitedLog } from '../../../src/observability/logger.js'

const T0 = 1_700_000_000_000

function ev(device: string, seq: number | undefined, time = T0, received = time): Event {
  const data: Record<string, unknown> = { temperature: 1 }
  if (seq !== undefined) data['seq'] = seq
  const e: Event = {
    device,
    type: 'climate-sensor',
    stream: 'telemetry',
    time,
    received,
    data,
    tags: {},
    source: 'mqtt',
    topic: `devices/${device}/telemetry`,
  }
  if (seq !== undefined) e.seq = seq
  return e
}

function deadLetterSink() {
  const records: DeadLetter[] = []
  const dl = new DeadLetters(() => {}, new RateLimitedLog(createLogger('silent', false), 0))
  dl.onRecord((d) => records.push(d))
  return { dl, records }
}

describe('duplicate suppression', () => {
  it('drops a repeated seq per device, counts it and dead-letters it as duplicate', () => {
    const { dl, records } = deadLetterSink()
    const counters = newHygieneCounters()
    const gate = createDedupeGate({ window: 4, maxDevices: 10, timeFieldOf: () => undefined }, dl, counters)
    expect([1, 2, 2, 3, 1].map((s) => gate(ev('a', s)))).toEqual([true, true, false, true, false])
    expect(gate(ev('b', 2))).toBe(true) // another device's seq is its own
    expect(counters.duplicates).toBe(2)
    expect(records.map((r) => r.reason)).toEqual(['duplicate', 'duplicate'])
    expect(records[0]?.errors[0]).toContain('seq 2 already seen')
  })

  it('remembers a bounded window: a seq older than the window passes again', () => {
    const { dl } = deadLetterSink()
    const counters = newHygieneCounters()
    const gate = createDedupeGate({ window: 3, maxDevices: 10, timeFieldOf: () => undefined }, dl, counters)
    for (const s of [1, 2, 3, 4]) gate(ev('a', s))
    expect(gate(ev('a', 1))).toBe(true)
    expect(gate(ev('a', 4))).toBe(false)
  })

  it('with a payload timestamp, a restarted counter (new times) is not a duplicate', () => {
    const { dl } = deadLetterSink()
    const counters = newHygieneCounters()
    const gate = createDedupeGate({ window: 8, maxDevices: 10, timeFieldOf: () => 'ts' }, dl, counters)
    const withTs = (seq: number, ts: number) => {
      const e = ev('a', seq, ts)
      e.data['ts'] = ts
      return e
    }
    expect(gate(withTs(0, T0))).toBe(true)
    expect(gate(withTs(0, T0))).toBe(false) // redelivery: same seq, same ts
    expect(gate(withTs(0, T0 + 60_000))).toBe(true) // reboot: same seq, new ts
  })

  it('events without seq, and window 0, always pass', () => {
    const { dl } = deadLetterSink()
    const counters = newHygieneCounters()
    const gate = createDedupeGate({ window: 0, maxDevices: 10, timeFieldOf: () => undefined }, dl, counters)
    expect(gate(ev('a', 1))).toBe(true)
    expect(gate(ev('a', 1))).toBe(true)
    const on = createDedupeGate({ window: 8, maxDevices: 10, timeFieldOf: () => undefined }, dl, counters)
    expect(on(ev('a', undefined))).toBe(true)
    expect(on(ev('a', undefined))).toBe(true)
  })
})

describe('out-of-order detection', () => {
  it('counts events older than the newest so far and seq regressions, passes them on', () => {
    const counters = newHygieneCounters()
    const gate = createOrderGate({ maxDevices: 10, resetBelow: 100 }, counters)
    expect(gate(ev('a', 1, T0))).toBe(true)
    expect(gate(ev('a', 2, T0 + 2000))).toBe(true)
    expect(gate(ev('a', 3, T0 + 1000))).toBe(true) // time went back
    expect(counters.outOfOrder).toBe(1)
    expect(gate(ev('a', 2, T0 + 3000))).toBe(true) // seq went back
    expect(counters.outOfOrder).toBe(2)
    expect(gate(ev('a', 4, T0 + 4000))).toBe(true)
    expect(counters.outOfOrder).toBe(2)
  })

  it('a seq far below the highest is a device restart, not disorder', () => {
    const counters = newHygieneCounters()
    const gate = createOrderGate({ maxDevices: 10, resetBelow: 100 }, counters)
    gate(ev('a', 5000, T0))
    gate(ev('a', 0, T0 + 1000))
    gate(ev('a', 1, T0 + 2000))
    expect(counters).toMatchObject({ seqResets: 1, outOfOrder: 0 })
  })
})

describe('clock skew', () => {
  const received = T0
  const ahead = () => ev('a', 1, received + 3_600_000, received)

  it('keep: counted, passed unchanged', () => {
    const { dl, records } = deadLetterSink()
    const counters = newHygieneCounters()
    const gate = createSkewGate({ maxMs: 300_000, policy: 'keep' }, dl, counters)
    const e = ahead()
    expect(gate(e)).toBe(true)
    expect(e.time).toBe(received + 3_600_000)
    expect(gate(ev('a', 2, received + 1000, received))).toBe(true)
    expect(counters.skewed).toBe(1)
    expect(records).toHaveLength(0)
  })

  it('clamp: event time becomes arrival time', () => {
    const { dl } = deadLetterSink()
    const counters = newHygieneCounters()
    const gate = createSkewGate({ maxMs: 300_000, policy: 'clamp' }, dl, counters)
    const e = ahead()
    expect(gate(e)).toBe(true)
    expect(e.time).toBe(received)
    expect(counters).toMatchObject({ skewed: 1, skewClamped: 1 })
  })

  it('reject: dead letter clock_skew saying how far off the clock is', () => {
    const { dl, records } = deadLetterSink()
    const counters = newHygieneCounters()
    const gate = createSkewGate({ maxMs: 300_000, policy: 'reject' }, dl, counters)
    expect(gate(ahead())).toBe(false)
    expect(gate(ev('a', 1, received - 7_200_000, received))).toBe(false)
    expect(counters).toMatchObject({ skewed: 2, skewRejected: 2 })
    expect(records.map((r) => r.reason)).toEqual(['clock_skew', 'clock_skew'])
    expect(records[0]?.errors[0]).toContain('1h0m0s ahead of arrival')
    expect(records[1]?.errors[0]).toContain('2h0m0s behind arrival')
  })
})

describe('duplicate window edge cases', () => {
  it('a late old seq does not evict a recent one; a counter restart without timestamps starts afresh', () => {
    const { dl } = deadLetterSink()
    const counters = newHygieneCounters()
    const gate = createDedupeGate({ window: 4, maxDevices: 10, timeFieldOf: () => undefined }, dl, counters)
    for (const s of [10, 11, 12, 13]) gate(ev('a', s))
    expect(gate(ev('a', 9))).toBe(true) // late, never seen
    expect(gate(ev('a', 13))).toBe(false) // still remembered
    // reboot: the counter starts again at 0, far below the window
    expect([0, 1, 1, 2].map((s) => gate(ev('a', s)))).toEqual([true, true, false, true])
  })

  it('forgets the least recently heard device beyond maxDevices', () => {
    const { dl } = deadLetterSink()
    const counters = newHygieneCounters()
    const gate = createDedupeGate({ window: 4, maxDevices: 2, timeFieldOf: () => undefined }, dl, counters)
    gate(ev('a', 1))
    gate(ev('b', 1))
    gate(ev('c', 1)) // evicts a
    expect(gate(ev('a', 1))).toBe(true)
    expect(gate(ev('c', 1))).toBe(false)
  })
})
