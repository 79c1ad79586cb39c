import { api } from '../api.js'
import { ago, clock, h, table } from '../dom.js'
import type { Alert, View } from '../types.js'

export async function alertsView(canAct: boolean): Promise<View> {
  const el = h('section', { id: 'view-alerts' })
  const load = async () => {
    const { now, recent } = await api<{ now: Alert[]; recent: Alert[] }>('alerts')
    el.replaceChildren(
      h('h1', {}, 'Alerts'),
      h('h2', {}, 'Firing and pending now'),
      table(
        ['rule', 'key', 'state', 'severity', 'since', 'message', 'acknowledged'],
        now.map((a) => [
          a.rule,
          a.key,
          h('span', { class: `state ${a.state}` }, a.state),
          h('span', { class: `sev ${a.severity}` }, a.severity),
          ago(a.since),
          a.message,
          ackCell(a, canAct, load),
        ]),
        'no alert is firing or pending',
      ),
      h('h2', {}, 'Recent transitions'),
      table(
        ['at', 'rule', 'key', 'state', 'severity', 'message'],
        recent.map((a) => [
          clock(a.at),
          a.rule,
          a.key,
          a.acknowledged && a.state === 'firing' && a.previous === 'firing' && !a.repeat
            ? 'acknowledged'
            : `${a.state}${a.repeat ? ` #${a.repeat}` : ''}`,
          a.severity,
          a.message,
        ]),
        'no transitions yet',
      ),
    )
  }
  await load()
  return {
    el,
    onChanged(what) {
      if (what.includes('alerts')) void load()
    },
  }
}

function ackCell(a: Alert, canAct: boolean, reload: () => Promise<void>): HTMLElement | string {
  if (a.acknowledged)
    return h('span', { class: 'acked' }, `acknowledged by ${a.acknowledged.by} ${ago(a.acknowledged.at)}`)
  if (a.state !== 'firing' || !canAct) return '—'
  const button = h('button', { class: 'ack', 'data-rule': a.rule, 'data-key': a.key }, 'Acknowledge')
  button.addEventListener('click', () => {
    button.disabled = true
    api('alerts/ack', { rule: a.rule, key: a.key }).then(
      () => reload(),
      (err: Error) => {
        button.replaceWith(h('span', { class: 'bad' }, err.message))
      },
    )
  })
  return button
}
