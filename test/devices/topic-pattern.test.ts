import { describe, expect, it } from 'vitest'
import { Catalog, type DeviceType } from '../../src/devices/catalog.js'
import { compilePattern, mqttFilterMatches, validatePattern } from '../../src/devices/topic-pattern.js'

describe('topic patterns', () => {
  it('{device} captures one non-empty level', () => {
    const p = compilePattern('devices/{device}/telemetry')
    expect(p.match('devices/dev-1/telemetry')).toBe('dev-1')
    expect(p.match('devices/a b,c=d/telemetry')).toBe('a b,c=d')
    expect(p.match('devices//telemetry')).toBeNull()
    expect(p.match('devices/dev-1/power')).toBeNull()
    expect(p.match('devices/dev-1/telemetry/extra')).toBeNull()
    expect(p.match('devices/dev-1')).toBeNull()
    expect(p.match('other/dev-1/telemetry')).toBeNull()
    expect(p.match('/devices/dev-1/telemetry')).toBeNull()
    expect(p.filter).toBe('devices/+/telemetry')
    expect(p.format('x')).toBe('devices/x/telemetry')
  })

  it('+ matches any one level, including an empty one, and captures nothing', () => {
    const p = compilePattern('site/+/{device}/data')
    expect(p.match('site/north/d1/data')).toBe('d1')
    expect(p.match('site//d1/data')).toBe('d1')
    expect(p.match('site/north/d1/other')).toBeNull()
    expect(compilePattern('meters/+').match('meters/m1')).toBe('')
  })

  it('a trailing # matches the rest, and the parent level', () => {
    const p = compilePattern('legacy/{device}/#')
    expect(p.match('legacy/d9/a/b/c')).toBe('d9')
    expect(p.match('legacy/d9')).toBe('d9')
    expect(p.match('legacy')).toBeNull()
    expect(p.match('other/d9/a')).toBeNull()
  })

  it('levels are compared exactly (case matters, no prefix match)', () => {
    const p = compilePattern('devices/{device}/telemetry')
    expect(p.match('Devices/d/telemetry')).toBeNull()
    expect(p.match('devices/d/telemetry2')).toBeNull()
  })

  it('rejects malformed patterns with a reason', () => {
    expect(validatePattern('')).toBe('topic pattern is empty')
    expect(validatePattern('a/#/b')).toBe('"#" must be the last level')
    expect(validatePattern('a/b#')).toBe('"#" must be a whole level')
    expect(validatePattern('a/b+')).toBe('"+" must be a whole level')
    expect(validatePattern('a/{dev}/b')).toBe('only a whole "{device}" level may use braces')
    expect(validatePattern('a/x{device}/b')).toBe('only a whole "{device}" level may use braces')
    expect(validatePattern('{device}/{device}')).toBe('"{device}" may appear once')
    expect(validatePattern('devices/{device}/telemetry')).toBeNull()
    expect(() => compilePattern('a/#/b')).toThrow('"#" must be the last level')
  })

  it('MQTT filter matching', () => {
    expect(mqttFilterMatches('devices/+/telemetry', 'devices/d/telemetry')).toBe(true)
    expect(mqttFilterMatches('devices/#', 'devices/d/x/y')).toBe(true)
    expect(mqttFilterMatches('devices/#', 'devices')).toBe(true)
    expect(mqttFilterMatches('devices/+', 'devices/d/x')).toBe(false)
    expect(mqttFilterMatches('a/b', 'a/b/c')).toBe(false)
  })
})

function fakeType(name: string, topics: string[]): DeviceType {
  return { name, topics: topics.map(compilePattern) } as unknown as DeviceType
}

describe('catalog resolve', () => {
  const a = fakeType('a', ['devices/{device}/telemetry'])
  const b = fakeType('b', ['devices/{device}/telemetry', 'devices/{device}/b'])
  const catalog = new Catalog(
    new Map([
      ['a', a],
      ['b', b],
    ]),
  )

  it('returns every matching type in catalog order, once per type', () => {
    expect(catalog.resolve('devices/d1/telemetry')).toEqual([
      { type: a, device: 'd1' },
      { type: b, device: 'd1' },
    ])
    expect(catalog.resolve('devices/d1/b')).toEqual([{ type: b, device: 'd1' }])
    expect(catalog.resolve('devices/d1/none')).toEqual([])
  })

  it('answers repeated topics from its cache (same array)', () => {
    expect(catalog.resolve('devices/d2/telemetry')).toBe(catalog.resolve('devices/d2/telemetry'))
  })
})
