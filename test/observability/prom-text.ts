/**
 * A strict parser for the Prometheus text exposition format 0.0.4, for tests: every line must be a
 * comment, a HELP/TYPE line or a sample of a family declared before it; anything else throws.
 */
export interface PromSample {
  name: string
  labels: Record<string, string>
  value: number
}

export interface PromFamily {
  name: string
  help: string
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped'
  samples: PromSample[]
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*'
const SAMPLE_RE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: -?\\d+)?$`)
const LABEL_RE = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/y
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped'])

function parseValue(text: string, line: number): number {
  // Prometheus parses values with Go's ParseFloat: NaN and Inf in any case (prom-client writes "Nan").
  const special = text.toLowerCase()
  if (special === '+inf' || special === 'inf') return Number.POSITIVE_INFINITY
  if (special === '-inf') return Number.NEGATIVE_INFINITY
  if (special === 'nan') return Number.NaN
  const v = Number(text)
  if (!Number.isFinite(v) && !/^[-+]?\d/.test(text)) throw new Error(`line ${line}: bad value "${text}"`)
  return v
}

function parseLabels(text: string, line: number): Record<string, string> {
  const labels: Record<string, string> = {}
  LABEL_RE.lastIndex = 0
  while (LABEL_RE.lastIndex < text.length) {
    const m = LABEL_RE.exec(text)
    if (!m) throw new Error(`line ${line}: bad labels "${text}"`)
    const [, key = '', raw = ''] = m
    if (key in labels) throw new Error(`line ${line}: duplicate label ${key}`)
    labels[key] = raw.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))
  }
  return labels
}

/** The family a sample belongs to: histogram/summary samples carry _bucket/_sum/_count suffixes. */
function familyOf(name: string, families: Map<string, PromFamily>): PromFamily | undefined {
  const direct = families.get(name)
  if (direct) return direct
  const base = name.replace(/_(bucket|sum|count)$/, '')
  const f = families.get(base)
  return f && (f.type === 'histogram' || f.type === 'summary') ? f : undefined
}

export function parsePrometheusText(text: string): Map<string, PromFamily> {
  const families = new Map<string, PromFamily>()
  const lines = text.split('\n')
  lines.forEach((raw, i) => {
    const n = i + 1
    const line = raw.trimEnd()
    if (line === '') return
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line)
      if (!m) return // a plain comment
      const [, kind, name = '', rest = ''] = m
      if (!new RegExp(`^${NAME}$`).test(name)) throw new Error(`line ${n}: bad metric name ${name}`)
      const f = families.get(name) ?? { name, help: '', type: 'untyped' as const, samples: [] }
      if (kind === 'HELP') f.help = rest
      else {
        if (!TYPES.has(rest)) throw new Error(`line ${n}: bad type ${rest}`)
        if (f.samples.length) throw new Error(`line ${n}: TYPE after samples of ${name}`)
        f.type = rest as PromFamily['type']
      }
      families.set(name, f)
      return
    }
    const m = SAMPLE_RE.exec(line)
    if (!m) throw new Error(`line ${n}: not a sample: ${line}`)
    const [, name = '', labelText, valueText = ''] = m
    const family = familyOf(name, families)
    if (!family) throw new Error(`line ${n}: sample ${name} before its TYPE`)
    family.samples.push({
      name,
      labels: labelText ? parseLabels(labelText, n) : {},
      value: parseValue(valueText, n),
    })
  })
  return families
}

/** The value of the one sample with exactly these labels (subset match), or undefined. */
export function sampleValue(
  families: Map<string, PromFamily>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const family = familyOf(name, families)
  const hit = family?.samples.find(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  )
  return hit?.value
}
