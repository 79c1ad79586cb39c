/**
 * Text codecs (csv, kv, regex, nmea) produce strings; the device type's JSON Schema says what each
 * field should be. A value is converted only when it converts cleanly, so a bad reading still reaches
 * validation as the string it was and is dead-lettered with the schema's message.
 */
export type TextCoercer = (field: string, text: string) => unknown

const NUMBER_RE = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/
const TRUE = new Set(['true', 'on', 'yes', '1'])
const FALSE = new Set(['false', 'off', 'no', '0'])

function declaredType(schema: Record<string, unknown>, field: string): string | undefined {
  const props = schema.properties as Record<string, { type?: unknown }> | undefined
  const t = props?.[field]?.type
  if (typeof t === 'string') return t
  if (Array.isArray(t)) return t.find((x): x is string => typeof x === 'string' && x !== 'null')
  return undefined
}

export function coercerFor(schema: Record<string, unknown>): TextCoercer {
  const cache = new Map<string, string | undefined>()
  return (field, text) => {
    if (!cache.has(field)) cache.set(field, declaredType(schema, field))
    const type = cache.get(field)
    const trimmed = text.trim()
    switch (type) {
      case 'string':
        return text
      case 'number':
      case 'integer':
        return NUMBER_RE.test(trimmed) ? Number(trimmed) : text
      case 'boolean': {
        const lower = trimmed.toLowerCase()
        return TRUE.has(lower) ? true : FALSE.has(lower) ? false : text
      }
      default:
        // Undeclared fields: numbers look like numbers; everything else stays text.
        return NUMBER_RE.test(trimmed) ? Number(trimmed) : text
    }
  }
}
