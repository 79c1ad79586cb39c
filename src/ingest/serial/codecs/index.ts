import type { SerialCodecConfig } from '../config-schema.js'
import type { Codec } from './codec.js'
import { coercerFor } from './coerce.js'
import { csvCodec } from './csv.js'
import { jsonCodec } from './json.js'
import { kvCodec } from './kv.js'
import { nmeaCodec } from './nmea.js'
import { regexCodec } from './regex.js'

export type { Codec, CodecErrorKind, DecodeResult } from './codec.js'

/**
 * Builds the codec a port's config names. `payloadSchema` is the device type's JSON Schema: text codecs
 * use it to turn "21.5" into a number where the type wants one. Throws on a config `checkSerialPorts`
 * would have reported (bad regex, csv without columns).
 */
export function createCodec(config: SerialCodecConfig, payloadSchema: Record<string, unknown>): Codec {
  const coerce = coercerFor(payloadSchema)
  switch (config.kind) {
    case 'json':
      return jsonCodec
    case 'csv':
      if (!config.columns) throw new Error('codec csv needs columns')
      return csvCodec(config.columns, config.separator ?? ',', coerce)
    case 'kv':
      return kvCodec(config.separator ?? '=', config.pairSeparator, coerce)
    case 'regex':
      if (!config.pattern) throw new Error('codec regex needs a pattern')
      return regexCodec(new RegExp(config.pattern, config.flags ?? ''), coerce)
    case 'nmea':
      return nmeaCodec({ sentences: config.sentences, only: config.only }, coerce)
  }
}
