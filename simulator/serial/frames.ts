import { nmeaSentence } from '../../src/ingest/serial/codecs/nmea.js'

/** What a simulated wired sensor sends: field name → value (the same readings MQTT devices publish). */
export type Reading = Record<string, number | string | boolean>

export type WireCodec = 'json' | 'csv' | 'kv' | 'nmea'
export type WireFraming = 'line' | 'slip' | 'length'

export interface WireFormat {
  codec: WireCodec
  /** csv: column order (the gateway's `codec.columns`); default: the reading's keys. */
  columns?: readonly string[]
  /** nmea: talker id of the `$--XDR` transducer sentence the reading is sent as. */
  talker?: string
  framing?: WireFraming
  /** line: terminator (default CRLF, as most serial sensors send). */
  terminator?: string
}

/** The text of one reading in a codec the gateway decodes. */
export function encodeText(reading: Reading, format: WireFormat): string {
  switch (format.codec) {
    case 'json':
      return JSON.stringify(reading)
    case 'csv':
      return (format.columns ?? Object.keys(reading))
        .map((c) => (reading[c] === undefined ? '' : String(reading[c])))
        .join(',')
    case 'kv':
      return Object.entries(reading)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')
    case 'nmea': {
      // Transducer quadruplets: type (G = generic), value, unit (none), name.
      const quads = Object.entries(reading).flatMap(([k, v]) => ['G', String(v), '', k])
      return nmeaSentence(`${format.talker ?? 'WI'}XDR,${quads.join(',')}`)
    }
  }
}

/** SLIP (RFC 1055): END-delimited, END and ESC bytes escaped. Opens with END to flush line noise. */
export function slipEncode(payload: Buffer): Buffer {
  const out: number[] = [0xc0]
  for (const b of payload) {
    if (b === 0xc0) out.push(0xdb, 0xdc)
    else if (b === 0xdb) out.push(0xdb, 0xdd)
    else out.push(b)
  }
  out.push(0xc0)
  return Buffer.from(out)
}

/** `[start][len][payload]`: the gateway's `framing: { kind: length }` defaults (start 0xAA, 1-byte length). */
export function lengthPrefixEncode(payload: Buffer, start = 0xaa): Buffer {
  if (payload.length > 255) throw new Error('payload longer than a 1-byte length field')
  return Buffer.concat([Buffer.from([start, payload.length]), payload])
}

/** The bytes of one reading on the wire. */
export function encodeFrame(reading: Reading, format: WireFormat): Buffer {
  const text = Buffer.from(encodeText(reading, format), 'utf8')
  switch (format.framing ?? 'line') {
    case 'line':
      return Buffer.concat([text, Buffer.from(format.terminator ?? '\r\n')])
    case 'slip':
      return slipEncode(text)
    case 'length':
      return lengthPrefixEncode(text)
  }
}
