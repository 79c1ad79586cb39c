import { api } from '../api.js'
import { clock, h, table, values } from '../dom.js'
import type { CommandOutcome, View } from '../types.js'
import { commandForm } from './command-form.js'

export async function commandsView(canAct: boolean): Promise<View> {
  const lists = h('div', { id: 'command-lists' })
  const row = (c: CommandOutcome) => [
    clock(c.at),
    c.device,
    c.name,
    values(c.params),
    h('span', { class: `status ${c.status}` }, c.status),
    c.attempt,
    c.reason ?? '',
    c.source,
  ]
  const headers = ['at', 'device', 'command', 'params', 'status', 'attempt', 'reason', 'source']
  const load = async () => {
    const { pending, recent } = await api<{ pending: CommandOutcome[]; recent: CommandOutcome[] }>('commands')
    lists.replaceChildren(
      h('h2', {}, 'Pending'),
      table(headers, pending.map(row), 'no command is waiting for an ack'),
      h('h2', {}, 'Recent'),
      table(headers, recent.map(row), 'no commands yet'),
    )
  }
  await load()
  const el = h(
    'section',
    { id: 'view-commands' },
    h('h1', {}, 'Commands'),
    canAct ? commandForm(null, []) : h('p', { class: 'muted' }, 'Sending commands needs the operator role.'),
    lists,
  )
  return {
    el,
    onChanged(what) {
      if (what.includes('commands')) void load()
    },
  }
}
