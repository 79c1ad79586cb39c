import { type Codec, type DecodeResult, fail } from './codec.js'
import type { TextCoercer } from './coerce.js'

/** Decodes the comma fields of one sentence type into payload fields. */
type SentenceDecoder = (fields: readonly string[]) => Record<string, unknown>

const num = (s: string | undefined): number | undefined => {
  if (s === undefined || s.trim() === '') return undefined
  const n = Number(s)
  return Number.isFinite(n) ? n : undefined
}

/** `4807.038,N` → 48.1173: NMEA writes degrees and decimal minutes. */
function degrees(value: string | undefined, hemisphere: string | undefined): number | undefined {
  const v = num(value)
  if (v === undefined) return undefined
  const deg = Math.trunc(v / 100)
  const decimal = deg + (v - deg * 100) / 60
  const signed = hemisphere === 'S' || hemisphere === 'W' ? -decimal : decimal
  return Math.round(signed * 1e7) / 1e7
}

/** Leaves out fields the sentence left empty, so optional schema properties stay absent. */
function defined(o: Record<string, unknown>): Record<string, unknown> {
  for (const k of Object.keys(o)) if (o[k] === undefined || o[k] === '') delete o[k]
  return o
}

/** Built-in decoders for sentences wired sensors commonly send (GPS fix, water temperature, wind, transducers). */
export const BUILT_IN_SENTENCES: Readonly<Record<string, SentenceDecoder>> = {
  GGA: (f) =>
    defined({
      time: f[0],
      latitude: degrees(f[1], f[2]),
      longitude: degrees(f[3], f[4]),
      fix: num(f[5]),
      satellites: num(f[6]),
      hdop: num(f[7]),
      altitude: num(f[8]),
    }),
  RMC: (f) =>
    defined({
      time: f[0],
      status: f[1],
      latitude: degrees(f[2], f[3]),
      longitude: degrees(f[4], f[5]),
      speedKnots: num(f[6]),
      course: num(f[7]),
      date: f[8],
    }),
  MTW: (f) => defined({ waterTemperature: num(f[0]) }),
  MWV: (f) =>
    defined({
      windAngle: num(f[0]),
      windReference: f[1],
      windSpeed: num(f[2]),
      windSpeedUnit: f[3],
      status: f[4],
    }),
  // Transducer measurements come in quadruplets: type, value, unit, name. The name becomes the field.
  XDR: (f) => {
    const out: Record<string, unknown> = {}
    for (let i = 0; i + 1 < f.length; i += 4) {
      const value = num(f[i + 1])
      const name = f[i + 3] || `${f[i] ?? 'x'}${i / 4}`
      if (value !== undefined) out[name] = value
    }
    return out
  },
}

/** XOR of every character between `$` and `*`, as NMEA 0183 defines the checksum. */
export function nmeaChecksum(body: string): number {
  let sum = 0
  for (let i = 0; i < body.length; i++) sum ^= body.charCodeAt(i)
  return sum
}

/** Builds `$<body>*HH` (the simulator and tests use it). */
export function nmeaSentence(body: string): string {
  return `$${body}*${nmeaChecksum(body).toString(16).toUpperCase().padStart(2, '0')}`
}

export interface NmeaOptions {
  /** Field names per sentence type for sentences without a built-in decoder (or to replace one). */
  sentences?: Readonly<Record<string, readonly string[]>>
  /** Sentence types to take; others are well-formed but ignored (a GPS sends many we do not need). */
  only?: readonly string[]
}

/** `$WIXDR,C,21.5,C,temperature,H,40,P,humidity*hh`; the checksum is required. */
export function nmeaCodec(options: NmeaOptions, coerce: TextCoercer): Codec {
  const only = options.only ? new Set(options.only) : null
  return {
    decode(frame): DecodeResult {
      const text = frame.toString('latin1').trim()
      const m = /^[$!]([^*$!]+)\*([0-9A-Fa-f]{2})$/.exec(text)
      if (!m) {
        if (/^[$!][^*]*$/.test(text)) return fail('checksum', 'sentence has no *hh checksum')
        return fail('decode', 'not an NMEA 0183 sentence ($...*hh)')
      }
      const body = m[1] as string
      const expected = Number.parseInt(m[2] as string, 16)
      const actual = nmeaChecksum(body)
      if (actual !== expected)
        return fail(
          'checksum',
          `checksum ${m[2]} does not match ${actual.toString(16).toUpperCase().padStart(2, '0')}`,
        )
      const [address = '', ...fields] = body.split(',')
      // Proprietary sentences ($PGRME) have no talker; the rest are 2-letter talker + type ($GPGGA).
      const type = address.startsWith('P') ? address : address.slice(2)
      if (only && !only.has(type)) return { ok: 'ignored' }
      const names = options.sentences?.[type]
      if (names) {
        const data: Record<string, unknown> = {}
        names.forEach((name, i) => {
          const v = fields[i]
          if (name && name !== '-' && v !== undefined && v !== '') data[name] = coerce(name, v)
        })
        return { ok: true, data }
      }
      const builtIn = BUILT_IN_SENTENCES[type]
      if (!builtIn)
        return fail('unsupported', `no decoder for sentence ${type}; name its fields under codec.sentences`)
      return { ok: true, data: builtIn(fields) }
    },
  }
}
