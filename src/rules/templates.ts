/**
 * Safe templates for action fields: `{{path}}` is replaced by the value at a dotted path of the
 * result scope (`{{mean}}`, `{{tags.zone}}`, `{{data.temperature}}`). Substitution only: no
 * expressions, no code. A missing value renders as an empty string.
 */

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g
const PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_-]+)*$/

export type Scope = Record<string, unknown>

/** A compiled template: renders to text, or (for a lone placeholder) to the raw value. */
export interface Template {
  readonly source: string
  render(scope: Scope): string
  /** The raw value when the template is exactly one placeholder (keeps numbers and booleans typed). */
  value(scope: Scope): unknown
  readonly isConstant: boolean
}

/** Returns the problem with a template, or null when it is fine. */
export function templateError(source: string): string | null {
  for (const m of source.matchAll(PLACEHOLDER)) {
    const path = m[1] ?? ''
    if (!PATH.test(path)) return `"{{${path}}}" is not a value path (letters, digits, _ and dots only)`
  }
  const stripped = source.replace(PLACEHOLDER, '')
  if (stripped.includes('{{') || stripped.includes('}}')) return 'unbalanced "{{" or "}}"'
  return null
}

export function lookup(scope: Scope, path: readonly string[]): unknown {
  let v: unknown = scope
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined
    v = (v as Record<string, unknown>)[seg]
  }
  return v
}

/** Numbers in text are rounded to 3 decimals: `21.456789` reads better as `21.457` in a message. */
export function formatValue(v: unknown): string {
  if (v === undefined || v === null) return ''
  if (typeof v === 'number') return String(Math.round(v * 1000) / 1000)
  if (typeof v === 'object') return JSON.stringify(v)
  return String(v)
}

export function compileTemplate(source: string): Template {
  const parts: (string | string[])[] = []
  let last = 0
  for (const m of source.matchAll(PLACEHOLDER)) {
    const index = m.index ?? 0
    if (index > last) parts.push(source.slice(last, index))
    parts.push((m[1] ?? '').split('.'))
    last = index + m[0].length
  }
  if (last < source.length) parts.push(source.slice(last))
  const only = parts.length === 1 && Array.isArray(parts[0]) ? (parts[0] as string[]) : null
  const isConstant = parts.every((p) => typeof p === 'string')
  return {
    source,
    isConstant,
    render(scope) {
      if (isConstant) return source
      let out = ''
      for (const p of parts) out += typeof p === 'string' ? p : formatValue(lookup(scope, p))
      return out
    },
    value(scope) {
      return only ? lookup(scope, only) : this.render(scope)
    },
  }
}

/** Every template error inside a value (strings at any depth), with its path. */
export function templateErrorsIn(
  value: unknown,
  path: (string | number)[] = [],
): { path: (string | number)[]; message: string }[] {
  if (typeof value === 'string') {
    const e = templateError(value)
    return e ? [{ path, message: e }] : []
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => templateErrorsIn(v, [...path, i]))
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => templateErrorsIn(v, [...path, k]))
  return []
}

/** A value with templates at any depth (command params, publish payload mappings), compiled once. */
export type DeepTemplate = (scope: Scope) => unknown

/**
 * Compiles the strings at any depth of a value. Done when the rule loads: rendering compiled a per-event
 * rule's payload template again for every event (a regex pass and splits each time).
 */
export function compileDeep(value: unknown): DeepTemplate {
  if (typeof value === 'string') {
    const t = compileTemplate(value)
    return (scope) => t.value(scope)
  }
  if (Array.isArray(value)) {
    const items = value.map(compileDeep)
    return (scope) => items.map((item) => item(scope))
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).map(([k, v]) => [k, compileDeep(v)] as const)
    return (scope) => {
      const out: Record<string, unknown> = {}
      for (const [k, render] of entries) out[k] = render(scope)
      return out
    }
  }
  return () => value
}
