import { api } from '../api.js'
import { lineChart } from '../chart.js'
import { h, table } from '../dom.js'
import type { Overview, RateSample, View } from '../types.js'

const WINDOW_MS = 15 * 60_000

export async function overviewView(): Promise<View> {
  const data = await api<Overview>('overview')
  const history: RateSample[] = data.history ?? []
  const el = h('section', { id: 'view-overview' })
  const render = (o: Overview) => {
    const now = Date.now()
    const cards = h(
      'div',
      { class: 'cards' },
      card('Messages in', `${o.rates.in}/s`, 'msgs-in'),
      card('Points out', `${o.rates.out}/s`, 'points-out'),
      card(
        'InfluxDB',
        o.influx.reachable ? 'reachable' : 'unreachable',
        'influx-state',
        o.influx.reachable ? 'ok' : 'bad',
      ),
      card('Pending points', String(o.influx.pendingPoints), 'influx-pending'),
      card('Oldest pending', `${o.influx.oldestPendingAgeSeconds}s`, 'influx-oldest'),
      ...shapeCards(o.influxShape),
      card('Broker connections', String(o.broker.connections), 'broker-connections'),
      card('Rules loaded', String(o.rules.loaded), 'rules-loaded'),
      card('Rules in error', String(o.rules.errors), 'rules-errors', o.rules.errors ? 'bad' : ''),
      card('Alerts firing', String(o.alerts.firing), 'alerts-firing', o.alerts.firing ? 'bad' : ''),
    )
    const series = [
      {
        name: 'messages in /s',
        color: '#2b7bb9',
        points: history.map((s) => [s.t, s.in] as [number, number]),
      },
      {
        name: 'points out /s',
        color: '#d9822b',
        points: history.map((s) => [s.t, s.out] as [number, number]),
      },
    ]
    const refusals = Object.entries(o.broker.refusals).sort((a, b) => b[1] - a[1])
    el.replaceChildren(
      h('h1', {}, 'Overview'),
      cards,
      h('h2', {}, 'Traffic, last 15 minutes'),
      lineChart(series, now - WINDOW_MS, now, 'messages in and points out per second'),
      h('p', { class: 'bad' }, o.influx.lastError ? `InfluxDB: ${o.influx.lastError}` : ''),
      h('h2', {}, 'Broker refusals by reason'),
      table(
        ['reason', 'count'],
        refusals.map(([r, n]) => [r, n]),
        'no refusals',
      ),
    )
  }
  render(data)
  return {
    el,
    onTick(o, sample) {
      if (sample) history.push(sample)
      while (history.length && (history[0]?.t ?? 0) < Date.now() - WINDOW_MS) history.shift()
      render(o)
    },
  }
}

/** Series against influx.maxSeries and disk use (docs/influx.md), when the gateway keeps them. */
function shapeCards(s: Overview['influxShape']): HTMLElement[] {
  if (!s || s.state === 'unmanaged') return []
  const limit = s.maxSeries === null ? '' : ` / ${s.maxSeries}`
  const cards = [
    card('InfluxDB series', `${s.series ?? '?'}${limit}`, 'influx-series', s.overLimit ? 'bad' : ''),
  ]
  if (s.diskBytes !== null)
    cards.push(card('InfluxDB disk', `${(s.diskBytes / 1024 / 1024).toFixed(1)} MiB`, 'influx-disk'))
  return cards
}

function card(label: string, value: string, id: string, cls = ''): HTMLElement {
  return h(
    'div',
    { class: `card ${cls}` },
    h('div', { class: 'label' }, label),
    h('div', { class: 'value', id }, value),
  )
}
