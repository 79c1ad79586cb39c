import { type Codec, fail } from './codec.js'

/** One JSON object per frame: `{"temperature":21.5,"humidity":40}`. */
export const jsonCodec: Codec = {
  decode(frame) {
    let value: unknown
    try {
      value = JSON.parse(frame.toString('utf8'))
    } catch (err) {
      return fail('decode', (err as Error).message)
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      return fail('decode', 'a JSON frame must be an object')
    return { ok: true, data: value as Record<string, unknown> }
  },
}
