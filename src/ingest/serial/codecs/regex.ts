import { type Codec, fail } from './codec.js'
import type { TextCoercer } from './coerce.js'

/** `T=21.5C H=40%` with `pattern: 'T=(?<temperature>[-\d.]+)C H=(?<humidity>\d+)%'`: named groups become fields. */
export function regexCodec(pattern: RegExp, coerce: TextCoercer): Codec {
  return {
    decode(frame) {
      const m = pattern.exec(frame.toString('utf8'))
      if (!m?.groups) return fail('no_match', `frame does not match /${pattern.source}/`)
      const data: Record<string, unknown> = {}
      for (const [name, value] of Object.entries(m.groups)) {
        // An optional group that did not take part leaves its field out.
        if (value !== undefined) data[name] = coerce(name, value)
      }
      return { ok: true, data }
    },
  }
}
