import { api } from '../api.js'
import { h } from '../dom.js'

export interface CommandSpec {
  name: string
  description: string
  params: { properties?: Record<string, { type?: string }>; required?: string[] }
}

/** A starting params object from the schema: required booleans true, numbers 0, strings empty. */
function example(spec: CommandSpec | undefined): string {
  const out: Record<string, unknown> = {}
  for (const name of spec?.params.required ?? []) {
    const t = spec?.params.properties?.[name]?.type
    out[name] = t === 'boolean' ? true : t === 'integer' || t === 'number' ? 0 : ''
  }
  return JSON.stringify(out)
}

/**
 * Send a command (operators): the server validates it against the device type and sends it through the
 * gateway's dispatcher, with acks; the result appears in the Commands view.
 */
export function commandForm(device: string | null, specs: CommandSpec[]): HTMLElement {
  const deviceInput = h('input', {
    id: 'cmd-device',
    placeholder: 'device id',
    value: device ?? '',
    required: true,
  })
  const nameInput = h('input', {
    id: 'cmd-name',
    placeholder: 'command',
    list: 'cmd-names',
    value: specs[0]?.name ?? '',
    required: true,
  })
  const params = h('textarea', { id: 'cmd-params', rows: 2 }, example(specs[0]))
  const result = h('p', { id: 'cmd-result', class: 'muted' })
  nameInput.addEventListener('change', () => {
    params.value = example(specs.find((s) => s.name === nameInput.value))
  })
  const form = h(
    'form',
    { id: 'command-form', class: 'command-form' },
    device ? null : h('label', {}, 'Device ', deviceInput),
    h('label', {}, 'Command ', nameInput),
    h('datalist', { id: 'cmd-names' }, ...specs.map((s) => h('option', { value: s.name }, s.description))),
    h('label', {}, 'Params (JSON) ', params),
    h('button', { type: 'submit' }, 'Send command'),
    result,
  )
  form.addEventListener('submit', (e) => {
    e.preventDefault()
    let body: Record<string, unknown>
    try {
      body = {
        device: device ?? deviceInput.value.trim(),
        name: nameInput.value.trim(),
        params: JSON.parse(params.value || '{}'),
      }
    } catch (err) {
      result.textContent = `params are not JSON: ${(err as Error).message}`
      result.className = 'bad'
      return
    }
    result.textContent = 'sending…'
    api<{ id: string }>('commands', body).then(
      (r) => {
        result.textContent = `accepted: ${r.id} (status in Commands)`
        result.className = 'ok'
      },
      (err: Error) => {
        result.textContent = `refused: ${err.message}`
        result.className = 'bad'
      },
    )
  })
  return form
}
