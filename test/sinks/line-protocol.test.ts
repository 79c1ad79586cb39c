import { describe, expect, it } from 'vitest'
import type { Event } from '../../src/core/event.js'
import { type DeviceType, loadCatalog } from '../../src/devices/catalog.js'
import { EventPointMapper } from '../../src/sinks/influx/event-point.js'
import {
  encodeFieldValue,
  escapeKey,
  escapeMeasurement,
  quoteString,
} from '../../src/sinks/influx/line-protocol.js'

describe('line protocol escaping (string level; the round trip test checks it against InfluxDB)', () => {
  it('leaves plain names alone', () => {
    expect(escapeMeasurement('climate')).toBe('climate')
    expect(escapeKey('dev-1')).toBe('dev-1')
    expect(quoteString('hello')).toBe('"hello"')
  })

  it('escapes the break characters of each part', () => {
    expect(escapeMeasurement('a b,c=d')).toBe('a\\ b\\,c=d')
    expect(escapeKey('a b,c=d')).toBe('a\\ b\\,c\\=d')
    expect(quoteString('say "hi" \\o/')).toBe('"say \\"hi\\" \\\\o/"')
  })

  it('substitutes what InfluxDB 1.x cannot read', () => {
    expect(escapeKey('end\\')).toBe('end＼')
    expect(escapeKey('odd\\ run')).toBe('odd＼\\ run')
    expect(escapeKey('even\\\\ run')).toBe('even\\\\\\ run')
    expect(escapeMeasurement('m\\ x')).toBe('m＼\\ x')
    expect(escapeKey('a\nb')).toBe('a\\nb')
    expect(quoteString('a\r\nb')).toBe('"a\\\\nb"')
  })

  it('encodes field values by type', () => {
    expect(encodeFieldValue(21, true)).toBe('21i')
    expect(encodeFieldValue(21, false)).toBe('21')
    expect(encodeFieldValue(21.5, true)).toBe('21.5')
    expect(encodeFieldValue(true, false)).toBe('true')
    expect(encodeFieldValue(5n, false)).toBe('5i')
    expect(encodeFieldValue(Number.NaN, false)).toBeNull()
    expect(encodeFieldValue(1e19, true)).toBeNull()
  })
})

describe('event to point mapping', () => {
  const { catalog } = loadCatalog('devices')
  const mapper = new EventPointMapper(catalog.types)
  const event = (over: Partial<Event>): Event => ({
    device: 'dev-1',
    type: 'climate-sensor',
    stream: 'telemetry',
    time: 1_700_000_000_123,
    received: 1_700_000_000_500,
    data: {},
    tags: {},
    source: 'mqtt',
    topic: 'devices/dev-1/telemetry',
    ...over,
  })

  it('measurement, sorted tags with device, every other scalar as a field, event time in ms', () => {
    const line = mapper.toLine(
      event({
        data: { temperature: 21.5, humidity: 40, zone: 'north wing', ts: 1_700_000_000_123, seq: 7 },
        tags: { zone: 'north wing' },
      }),
    )
    expect(line).toBe('climate,device=dev-1,zone=north\\ wing temperature=21.5,humidity=40 1700000000123')
  })

  it("a device's tag set follows its tags and type from one reading to the next", () => {
    const m = new EventPointMapper(catalog.types)
    const reading = (over: Partial<Event>) => m.toLine(event({ data: { temperature: 20 }, ...over }))
    expect(reading({ tags: { zone: 'a' } })).toBe('climate,device=dev-1,zone=a temperature=20 1700000000123')
    expect(reading({ tags: { zone: 'a' } })).toBe('climate,device=dev-1,zone=a temperature=20 1700000000123')
    expect(reading({ tags: { zone: 'b' } })).toBe('climate,device=dev-1,zone=b temperature=20 1700000000123')
    expect(reading({ tags: { zone: 'b', site: 'x' } })).toBe(
      'climate,device=dev-1,site=x,zone=b temperature=20 1700000000123',
    )
    expect(reading({ tags: {} })).toBe('climate,device=dev-1 temperature=20 1700000000123')
    expect(m.toLine(event({ type: 'power-meter', data: { power: 5 } }))).toBe(
      'power,device=dev-1 power=5 1700000000123',
    )
    expect(reading({ device: 'dev-2', tags: {} })).toBe('climate,device=dev-2 temperature=20 1700000000123')
  })

  it('integer schema properties get the i suffix; number ones stay floats', () => {
    const line = mapper.toLine(event({ type: 'power-meter', data: { power: 100, relay: true } }))
    expect(line).toBe('power,device=dev-1 power=100,relay=true 1700000000123')
    const counter = {
      name: 'counter',
      measurement: 'counts',
      tagFields: [],
      timeField: 'ts',
      seqField: 'seq',
      fieldNames: ['n', 'extra', 'label'],
      definition: { schema: { properties: { n: { type: 'integer' }, extra: { type: 'object' } } } },
    } as unknown as DeviceType
    const m = new EventPointMapper(new Map([['counter', counter]]))
    expect(m.toLine(event({ type: 'counter', data: { n: 3, extra: { a: 1 }, label: 'x' } }))).toBe(
      'counts,device=dev-1 n=3i,extra="{\\"a\\":1}",label="x" 1700000000123',
    )
  })

  it('registry tags join the payload tags; device always wins', () => {
    const line = mapper.toLine(
      event({ data: { temperature: 1 }, tags: { site: 'b', device: 'spoof', a: 'x' } }),
    )
    expect(line).toBe('climate,a=x,device=dev-1,site=b temperature=1 1700000000123')
    // Another set of names on the same type gets its own order; the first one is still right.
    expect(mapper.toLine(event({ data: { temperature: 2 }, tags: { zone: 'z', load: 'fan' } }))).toBe(
      'climate,device=dev-1,load=fan,zone=z temperature=2 1700000000123',
    )
    expect(mapper.toLine(event({ data: { temperature: 3 }, tags: { site: 'c', device: 'x', a: 'y' } }))).toBe(
      'climate,a=y,device=dev-1,site=c temperature=3 1700000000123',
    )
  })

  it('no writable field, or an unknown type, is no line', () => {
    expect(mapper.toLine(event({ data: { ts: 5 } }))).toBeNull()
    expect(mapper.toLine(event({ type: 'nope', data: { temperature: 1 } }))).toBeNull()
  })
})
