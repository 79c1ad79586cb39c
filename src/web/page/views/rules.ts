import { api } from '../api.js'
import { clock, h, table } from '../dom.js'
import type { View } from '../types.js'

interface RuleRow {
  id: string
  file: string
  kind: string
  mode: string
  severity: string
  window: unknown
  stats: Record<string, number>
}

export async function rulesView(): Promise<View> {
  const el = h('section', { id: 'view-rules' })
  const load = async () => {
    const s = await api<{ rules: RuleRow[]; loadedAt: number; errors: { text: string }[] }>('rules')
    el.replaceChildren(
      h('h1', {}, 'Rules'),
      h('p', { class: 'muted' }, `loaded ${clock(s.loadedAt)}`),
      s.errors.length
        ? h(
            'div',
            { class: 'errors', id: 'rule-errors' },
            h('h2', {}, 'Last load errors (the previous version of these files keeps running)'),
            h('ul', {}, ...s.errors.map((e) => h('li', {}, h('code', {}, e.text)))),
          )
        : h('p', { class: 'ok', id: 'rule-errors' }, 'no load errors'),
      table(
        ['rule', 'file', 'kind', 'window', 'matched', 'results', 'errors', 'open windows', 'firing'],
        s.rules.map((r) => [
          h('span', { title: `${r.mode}, ${r.severity}` }, r.id, r.mode === 'shadow' ? ' (shadow)' : ''),
          r.file.split('/').pop() ?? r.file,
          r.kind,
          r.window ? describeWindow(r.window) : '—',
          r.stats.matched ?? 0,
          r.stats.results ?? 0,
          r.stats.errors ?? 0,
          r.stats.openWindows ?? 0,
          r.stats.firing ?? 0,
        ]),
        'no rules loaded',
      ),
    )
  }
  await load()
  return { el, onTick: () => void load() }
}

function describeWindow(w: unknown): string {
  const o = w as Record<string, unknown>
  return Object.entries(o)
    .map(([k, v]) =>
      k === 'kind' ? String(v) : `${k} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`,
    )
    .join(', ')
}
