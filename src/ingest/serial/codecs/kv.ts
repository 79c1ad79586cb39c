import { type Codec, fail } from './codec.js'
import type { TextCoercer } from './coerce.js'

const DEFAULT_PAIRS = /[\s,;]+/

/** `id=bench-1 temperature=21.5 humidity=40`: pairs split on whitespace, `,` or `;` unless configured. */
export function kvCodec(separator: string, pairSeparator: string | undefined, coerce: TextCoercer): Codec {
  return {
    decode(frame) {
      const text = frame.toString('utf8').trim()
      const pairs = pairSeparator ? text.split(pairSeparator) : text.split(DEFAULT_PAIRS)
      const data: Record<string, unknown> = {}
      for (const raw of pairs) {
        const pair = raw.trim()
        if (pair === '') continue
        const at = pair.indexOf(separator)
        if (at <= 0) return fail('decode', `"${pair.slice(0, 40)}" is not key${separator}value`)
        const key = pair.slice(0, at).trim()
        data[key] = coerce(key, pair.slice(at + separator.length).trim())
      }
      if (Object.keys(data).length === 0) return fail('decode', 'no key=value pairs')
      return { ok: true, data }
    },
  }
}
