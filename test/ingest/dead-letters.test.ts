import { describe, expect, it } from 'vitest'
import type { DeadLetter } from '../../src/core/dead-letter.js'
import { DeadLetters } from '../../src/ingest/dead-letters.js'
import { type Logger, RateLimitedLog } from '../../src/observability/logger.js'

function letter(reason: DeadLetter['reason'], n: number): DeadLetter {
  return { reason, topic: `devices/d${n}/telemetry`, payload: 'x', encoding: 'utf8', errors: ['e'], at: n }
}

describe('dead letter recording', () => {
  it('publishes every one, counts per reason, and logs at a bounded rate per reason', () => {
    const published: { topic: string; body: DeadLetter }[] = []
    const logged: string[] = []
    const logger = {
      warn: (obj: { reason?: string; suppressed?: number }, msg: string) =>
        logged.push(obj.suppressed ? `${msg} ${obj.suppressed}` : `${msg} ${obj.reason}`),
    } as unknown as Logger
    let now = 0
    const dead = new DeadLetters(
      (topic, payload) => published.push({ topic, body: JSON.parse(payload) as DeadLetter }),
      new RateLimitedLog(logger, 2, 60_000, () => now),
    )
    const seen: DeadLetter[] = []
    dead.onRecord((d) => seen.push(d))
    for (let i = 0; i < 5; i++) dead.record(letter('schema', i))
    dead.record(letter('invalid_json', 9))

    expect(published).toHaveLength(6)
    expect(published[0]).toEqual({ topic: 'tidegate/deadletter/schema', body: letter('schema', 0) })
    expect(published[5]?.topic).toBe('tidegate/deadletter/invalid_json')
    expect(Object.fromEntries(dead.counts)).toEqual({ schema: 5, invalid_json: 1 })
    expect(dead.total()).toBe(6)
    expect(seen).toHaveLength(6)
    // Two per reason per minute; the rest are summarised once the window turns.
    expect(logged).toEqual(['dead letter schema', 'dead letter schema', 'dead letter invalid_json'])
    now = 60_001
    dead.record(letter('schema', 10))
    expect(logged.slice(3)).toEqual(['repeated messages suppressed 3', 'dead letter schema'])
  })
})
