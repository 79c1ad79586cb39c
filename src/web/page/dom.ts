type Child = Node | string | number | null | undefined | false
type Attrs = Record<string, string | number | boolean | null | undefined | ((e: Event) => void)>

/** Builds an element; text goes in as text nodes (never HTML), so device data cannot inject markup. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === 'function') el.addEventListener(k.slice(2), v)
    else if (v === true) el.setAttribute(k, '')
    else if (v !== false && v !== null && v !== undefined) el.setAttribute(k, String(v))
  }
  for (const c of children)
    if (c !== null && c !== undefined && c !== false) el.append(typeof c === 'object' ? c : String(c))
  return el
}

export function table(headers: string[], rows: Child[][], empty = 'nothing yet'): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'muted' }, empty)
  return h(
    'div',
    { class: 'scroll' },
    h(
      'table',
      {},
      h('thead', {}, h('tr', {}, ...headers.map((x) => h('th', {}, x)))),
      h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))),
    ),
  )
}

export function ago(t: number | null | undefined, now = Date.now()): string {
  if (!t) return '—'
  const s = Math.max(0, Math.round((now - t) / 1000))
  if (s < 60) return `${s}s ago`
  if (s < 3600) return `${Math.floor(s / 60)}m ago`
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`
  return `${Math.floor(s / 86400)}d ago`
}

export function clock(t: number | null | undefined): string {
  return t ? new Date(t).toLocaleTimeString() : '—'
}

export function short(v: unknown): string {
  if (typeof v === 'number') return String(Math.round(v * 100) / 100)
  if (typeof v === 'string') return v
  return JSON.stringify(v)
}

export function values(obj: Record<string, unknown>): string {
  return Object.entries(obj)
    .map(([k, v]) => `${k}=${short(v)}`)
    .join('  ')
}
