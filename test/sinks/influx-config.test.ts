import { describe, expect, it } from 'vitest'
import { configFromObject } from '../../src/config/load.js'
import { toBytes } from '../../src/core/size.js'
import { influxConfigProblems } from '../../src/sinks/influx/config-check.js'
import { parseRetryAfter } from '../../src/sinks/influx/http-client.js'

describe('Retry-After', () => {
  it('reads delta-seconds and HTTP dates, ignores anything else', () => {
    const now = Date.parse('Fri, 27 Nov 2026 04:00:00 GMT')
    expect(parseRetryAfter('7', now)).toBe(7000)
    expect(parseRetryAfter(' 0 ', now)).toBe(0)
    expect(parseRetryAfter('Fri, 27 Nov 2026 04:00:30 GMT', now)).toBe(30_000)
    expect(parseRetryAfter('Fri, 27 Nov 2026 03:59:00 GMT', now)).toBe(0) // in the past: now
    expect(parseRetryAfter('soon', now)).toBeNull()
    expect(parseRetryAfter('-5', now)).toBeNull()
  })
})

describe('influx config', () => {
  it('sizes: units are decimal or binary, numbers are bytes', () => {
    expect(toBytes(4096)).toBe(4096)
    expect(toBytes('512KiB')).toBe(524_288)
    expect(toBytes('128MiB')).toBe(134_217_728)
    expect(toBytes('1.5GB')).toBe(1_500_000_000)
  })

  it('defaults: v1 API, durable outbox of 128 MiB, 5 ms group commit, 2 requests in flight', () => {
    const { influx } = configFromObject({})
    expect(influx).toMatchObject({
      api: 'v1',
      batchSize: 5000,
      concurrency: 2,
      gzipLevel: 1,
      buffer: { durable: true, maxBytes: '128MiB', commitInterval: '5ms' },
    })
  })

  it('refuses a bad size and an unknown API', () => {
    expect(() => configFromObject({ influx: { buffer: { maxBytes: '12 parsecs' } } })).toThrow(/maxBytes/)
    expect(() => configFromObject({ influx: { api: 'v3' } })).toThrow(/api/)
  })

  it('v2 needs an org', () => {
    expect(influxConfigProblems(configFromObject({ influx: { api: 'v2' } }).influx)).toEqual([
      {
        code: 'TG_CONFIG_CONFLICT',
        path: ['api'],
        message: 'api v2 needs influx.org (and usually influx.token)',
      },
    ])
    expect(influxConfigProblems(configFromObject({ influx: { api: 'v2', org: 'acme' } }).influx)).toEqual([])
  })
})
