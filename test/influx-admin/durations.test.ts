import { describe, expect, it } from 'vitest'
import { everyMs, goDurationMs, influxKeep, keepMs } from '../../src/influx-admin/durations.js'

describe('InfluxDB admin durations', () => {
  it('keep and every: whole numbers with a unit; a year is 365 days, spelled in days for InfluxQL', () => {
    expect(keepMs('30d')).toBe(30 * 86_400_000)
    expect(keepMs('52w')).toBe(364 * 86_400_000)
    expect(influxKeep('3y')).toBe('1095d')
    expect(influxKeep('365d')).toBe('365d')
    expect(everyMs('15m')).toBe(900_000)
    expect(() => keepMs('5m')).toThrow(/invalid duration "5m"/)
    expect(() => everyMs('1y')).toThrow(/invalid duration/)
  })

  it('Go durations as SHOW RETENTION POLICIES prints them; unknown text never compares equal', () => {
    expect(goDurationMs('8760h0m0s')).toBe(365 * 86_400_000)
    expect(goDurationMs('0s')).toBe(0)
    expect(goDurationMs('1h30m')).toBe(5_400_000)
    expect(goDurationMs('forever')).toBeNaN()
    expect(goDurationMs('')).toBeNaN()
  })
})
