import { Value } from '@sinclair/typebox/value'
import { describe, expect, it } from 'vitest'
import { createCodec, type DecodeResult } from '../../../src/ingest/serial/codecs/index.js'
import { nmeaSentence } from '../../../src/ingest/serial/codecs/nmea.js'
import { SerialCodecSchema } from '../../../src/ingest/serial/config-schema.js'

const CLIMATE_SCHEMA = {
  type: 'object',
  properties: {
    temperature: { type: 'number' },
    humidity: { type: 'number' },
    zone: { type: 'string' },
    seq: { type: 'integer' },
    on: { type: 'boolean' },
  },
}

function decode(codec: Record<string, unknown>, frame: string | Buffer): DecodeResult {
  const config = Value.Default(SerialCodecSchema, structuredClone(codec)) as Parameters<typeof createCodec>[0]
  return createCodec(config, CLIMATE_SCHEMA).decode(
    Buffer.isBuffer(frame) ? frame : Buffer.from(frame, 'latin1'),
  )
}

describe('codecs', () => {
  it('json takes one object and refuses anything else', () => {
    expect(decode({ kind: 'json' }, '{"temperature":21.5}')).toEqual({
      ok: true,
      data: { temperature: 21.5 },
    })
    expect(decode({ kind: 'json' }, '[1,2]')).toMatchObject({ ok: false, kind: 'decode' })
    expect(decode({ kind: 'json' }, '{"temp')).toMatchObject({ ok: false, kind: 'decode' })
  })

  it('csv names columns, converts by the type schema, skips "-" columns and empty cells, honours quotes', () => {
    const codec = { kind: 'csv', columns: ['zone', 'temperature', '-', 'humidity', 'on'] }
    expect(decode(codec, '007,21.5,x,,true')).toEqual({
      ok: true,
      data: { zone: '007', temperature: 21.5, on: true },
    })
    expect(decode(codec, '"a,b", 22 ,x,40,off')).toEqual({
      ok: true,
      data: { zone: 'a,b', temperature: 22, humidity: 40, on: false },
    })
    expect(decode(codec, '1,2')).toMatchObject({ ok: false, kind: 'columns' })
    expect(decode({ kind: 'csv', columns: ['temperature'], separator: ';' }, '21.5')).toEqual({
      ok: true,
      data: { temperature: 21.5 },
    })
  })

  it('csv keeps a value the schema cannot take as text, so validation names it', () => {
    expect(decode({ kind: 'csv', columns: ['temperature'] }, 'hot')).toEqual({
      ok: true,
      data: { temperature: 'hot' },
    })
  })

  it('kv splits pairs on whitespace, comma or semicolon by default, or on the configured separators', () => {
    expect(decode({ kind: 'kv' }, 'temperature=21.5, humidity=40;zone=n1')).toEqual({
      ok: true,
      data: { temperature: 21.5, humidity: 40, zone: 'n1' },
    })
    expect(decode({ kind: 'kv', separator: ':', pairSeparator: '|' }, 'temperature:1|zone:a b')).toEqual({
      ok: true,
      data: { temperature: 1, zone: 'a b' },
    })
    expect(decode({ kind: 'kv' }, 'temperature')).toMatchObject({ ok: false, kind: 'decode' })
    expect(decode({ kind: 'kv' }, '   ')).toMatchObject({ ok: false, kind: 'decode' })
  })

  it('regex fills fields from named groups; a frame that does not match is no_match', () => {
    const codec = { kind: 'regex', pattern: '^T=(?<temperature>-?[\\d.]+)C(?: H=(?<humidity>\\d+)%)?$' }
    expect(decode(codec, 'T=-3.5C H=40%')).toEqual({ ok: true, data: { temperature: -3.5, humidity: 40 } })
    expect(decode(codec, 'T=4C')).toEqual({ ok: true, data: { temperature: 4 } })
    expect(decode(codec, 'garbage')).toMatchObject({ ok: false, kind: 'no_match' })
  })

  it('nmea checks the checksum and decodes XDR transducers, GGA fixes and named sentences', () => {
    const xdr = nmeaSentence('WIXDR,C,21.5,C,temperature,H,40,P,humidity')
    expect(decode({ kind: 'nmea' }, xdr)).toEqual({ ok: true, data: { temperature: 21.5, humidity: 40 } })
    expect(decode({ kind: 'nmea' }, xdr.replace(/\*..$/, '*00'))).toMatchObject({
      ok: false,
      kind: 'checksum',
    })
    expect(decode({ kind: 'nmea' }, '$WIXDR,C,21.5,C,temperature')).toMatchObject({
      ok: false,
      kind: 'checksum',
    })
    expect(decode({ kind: 'nmea' }, 'hello')).toMatchObject({ ok: false, kind: 'decode' })
    // The NMEA 0183 reference example (checksum 47).
    const gga = '$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47'
    expect(decode({ kind: 'nmea' }, gga)).toEqual({
      ok: true,
      data: {
        time: '123519',
        latitude: 48.1173,
        longitude: 11.5166667,
        fix: 1,
        satellites: 8,
        hdop: 0.9,
        altitude: 545.4,
      },
    })
    expect(decode({ kind: 'nmea', only: ['XDR'] }, gga)).toEqual({ ok: 'ignored' })
    const custom = nmeaSentence('PXYZ,21.5,n1')
    expect(decode({ kind: 'nmea' }, custom)).toMatchObject({ ok: false, kind: 'unsupported' })
    expect(decode({ kind: 'nmea', sentences: { PXYZ: ['temperature', 'zone'] } }, custom)).toEqual({
      ok: true,
      data: { temperature: 21.5, zone: 'n1' },
    })
  })
})
