import { api } from '../api.js'
import { ago, h, table, values } from '../dom.js'
import type { DeviceRow, View } from '../types.js'

export async function devicesView(): Promise<View> {
  let rows = (await api<{ devices: DeviceRow[] }>('devices')).devices
  let query = ''
  const list = h('div', { id: 'device-list' })
  const search = h('input', {
    id: 'device-search',
    type: 'search',
    placeholder: 'search id, type or tag',
    oninput: () => {
      query = search.value.trim().toLowerCase()
      render()
    },
  })
  const render = () => {
    const shown = rows.filter(
      (r) =>
        !query ||
        `${r.id} ${r.type ?? ''} ${Object.entries(r.tags)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')}`
          .toLowerCase()
          .includes(query),
    )
    list.replaceChildren(
      table(
        ['device', 'type', 'availability', 'last seen', 'last values', 'tags'],
        shown.map((r) => [
          h('a', { href: `#/devices/${encodeURIComponent(r.id)}`, 'data-device': r.id }, r.id),
          r.type ?? '—',
          h(
            'span',
            { class: `avail ${r.availability ?? ''}` },
            r.availability ?? (r.registered ? 'never seen' : '—'),
          ),
          ago(r.lastSeen),
          h('code', { 'data-values': r.id }, values(r.values)),
          values(r.tags),
        ]),
        query ? 'no device matches' : 'no devices yet',
      ),
    )
  }
  render()
  const el = h('section', { id: 'view-devices' }, h('h1', {}, 'Devices'), search, list)
  return {
    el,
    onDevices(updated) {
      for (const u of updated) {
        const i = rows.findIndex((r) => r.id === u.id)
        if (i >= 0) rows[i] = u
        else rows = [...rows, u].sort((a, b) => a.id.localeCompare(b.id))
      }
      render()
    },
    onTick: () => render(),
  }
}
