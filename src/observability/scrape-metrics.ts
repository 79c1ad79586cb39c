import { Counter, Gauge, type Registry } from 'prom-client'
import type { Sample } from './metrics-source.js'

/** Label values and the number for one series, read at scrape time. */
export type SeriesReading = [labels: Record<string, string>, value: number]

interface FamilySpec {
  name: string
  help: string
  labelNames?: readonly string[]
  /** Called on every scrape; returns the current value of each series (cumulative for counters). */
  read: () => Iterable<SeriesReading>
}

/**
 * A counter whose values live elsewhere (a feature's own cumulative count). prom-client counters only
 * go up by inc(), so each scrape resets and re-adds the current totals: same output, no hot-path cost.
 */
export function scrapeCounter(registry: Registry, spec: FamilySpec): void {
  const read = spec.read
  new Counter({
    name: spec.name,
    help: spec.help,
    labelNames: spec.labelNames ?? [],
    registers: [registry],
    collect() {
      this.reset()
      for (const [labels, value] of read()) {
        if (!Number.isFinite(value) || value < 0) continue
        if (Object.keys(labels).length === 0) this.inc(value)
        else this.inc(labels, value)
      }
    },
  })
}

/** A gauge read from elsewhere at scrape time; series that no longer exist disappear. */
export function scrapeGauge(registry: Registry, spec: FamilySpec): void {
  const read = spec.read
  new Gauge({
    name: spec.name,
    help: spec.help,
    labelNames: spec.labelNames ?? [],
    registers: [registry],
    collect() {
      this.reset()
      for (const [labels, value] of read()) {
        if (!Number.isFinite(value)) continue
        if (Object.keys(labels).length === 0) this.set(value)
        else this.set(labels, value)
      }
    },
  })
}

/** One labelless value. */
export function single(value: number): SeriesReading[] {
  return [[{}, value]]
}

/** Series from a count map keyed by one label. */
export function byLabel(label: string, counts: Iterable<[string, number]>): SeriesReading[] {
  const out: SeriesReading[] = []
  for (const [k, v] of counts) out.push([{ [label]: k }, v])
  return out
}

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
}

/**
 * Prometheus text for samples from generic MetricsSource views. Names already taken by the registry,
 * invalid names and a family whose type changes are skipped (and reported once in `skipped`), so one
 * feature's mistake cannot break the whole scrape.
 */
export function renderSamples(
  samples: readonly Sample[],
  taken: ReadonlySet<string>,
): { text: string; skipped: string[] } {
  const families = new Map<string, { help: string; type: Sample['type']; lines: string[] }>()
  const skipped = new Set<string>()
  for (const s of samples) {
    if (taken.has(s.name) || !NAME_RE.test(s.name) || !Number.isFinite(s.value)) {
      skipped.add(s.name)
      continue
    }
    let family = families.get(s.name)
    if (!family) {
      family = { help: s.help, type: s.type, lines: [] }
      families.set(s.name, family)
    } else if (family.type !== s.type) {
      skipped.add(s.name)
      continue
    }
    const labels = Object.entries(s.labels ?? {})
    if (labels.some(([k]) => !LABEL_RE.test(k))) {
      skipped.add(s.name)
      continue
    }
    const labelText = labels.length ? `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}` : ''
    family.lines.push(`${s.name}${labelText} ${s.value}`)
  }
  let text = ''
  for (const [name, f] of families) {
    text += `# HELP ${name} ${escapeHelp(f.help)}\n# TYPE ${name} ${f.type}\n${f.lines.join('\n')}\n\n`
  }
  return { text, skipped: [...skipped] }
}
