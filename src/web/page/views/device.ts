import { api } from '../api.js'
import { COLORS, lineChart } from '../chart.js'
import { ago, h, short } from '../dom.js'
import type { DeviceRow, View } from '../types.js'
import { type CommandSpec, commandForm } from './command-form.js'

interface Sample {
  t: number
  v: Record<string, number>
}

const HOUR = 3600_000

export async function deviceView(id: string, canAct: boolean): Promise<View> {
  const [{ device, commands }, hist] = await Promise.all([
    api<{ device: DeviceRow; commands: CommandSpec[] }>(`devices/${encodeURIComponent(id)}`),
    api<{ source: string; samples: Sample[]; note?: string }>(`devices/${encodeURIComponent(id)}/history`),
  ])
  let row = device
  const samples = hist.samples
  const info = h('div', { id: 'device-info' })
  const charts = h('div', { id: 'device-charts' })
  const render = () => {
    info.replaceChildren(
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'type'),
        h('dd', {}, row.type ?? '—'),
        h('dt', {}, 'availability'),
        h('dd', {}, row.availability ?? '—'),
        h('dt', {}, 'last seen'),
        h('dd', {}, ago(row.lastSeen)),
        h('dt', {}, 'registered'),
        h('dd', {}, row.registered ? 'yes' : 'no (seen only)'),
        h('dt', {}, 'tags'),
        h(
          'dd',
          {},
          Object.entries(row.tags)
            .map(([k, v]) => `${k}=${v}`)
            .join(', ') || '—',
        ),
      ),
      h(
        'div',
        { class: 'cards' },
        ...Object.entries(row.values).map(([k, v]) =>
          h(
            'div',
            { class: 'card' },
            h('div', { class: 'label' }, k),
            h('div', { class: 'value', 'data-field': k }, short(v)),
          ),
        ),
      ),
    )
    const now = Date.now()
    const fields = [...new Set(samples.flatMap((s) => Object.keys(s.v)))].filter(
      (f) => f !== 'seq' && f !== 'ts',
    )
    charts.replaceChildren(
      h(
        'p',
        { class: 'muted', id: 'history-source' },
        hist.source === 'influxdb'
          ? 'last hour from InfluxDB'
          : `recent values in memory (${hist.note ?? 'InfluxDB not used'})`,
      ),
      ...fields.slice(0, 8).map((f, i) =>
        h(
          'div',
          { class: 'field-chart' },
          lineChart(
            [
              {
                name: f,
                color: COLORS[i % COLORS.length] as string,
                points: samples.filter((s) => f in s.v).map((s) => [s.t, s.v[f] as number]),
              },
            ],
            now - HOUR,
            now,
            f,
          ),
        ),
      ),
    )
  }
  render()
  const el = h(
    'section',
    { id: 'view-device' },
    h('p', {}, h('a', { href: '#/devices' }, '← devices')),
    h('h1', {}, id),
    info,
    canAct && commands.length ? h('div', {}, h('h2', {}, 'Send a command'), commandForm(id, commands)) : null,
    h('h2', {}, 'Fields'),
    charts,
  )
  return {
    el,
    onDevices(rows) {
      const u = rows.find((r) => r.id === id)
      if (!u) return
      row = u
      const v: Record<string, number> = {}
      for (const [k, x] of Object.entries(u.values)) if (typeof x === 'number') v[k] = x
      samples.push({ t: u.lastSeen ?? Date.now(), v })
      render()
    },
  }
}
