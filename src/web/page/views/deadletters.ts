import { api } from '../api.js'
import { clock, h, table } from '../dom.js'
import type { View } from '../types.js'

interface DeadLetterRow {
  at: number
  reason: string
  topic: string
  encoding: string
  preview: string
  errors: string[]
}

export async function deadLettersView(): Promise<View> {
  const el = h('section', { id: 'view-deadletters' })
  const load = async () => {
    const { deadLetters } = await api<{ deadLetters: DeadLetterRow[] }>('deadletters')
    el.replaceChildren(
      h('h1', {}, 'Dead letters'),
      h(
        'p',
        { class: 'muted' },
        'The last 100 inputs that did not become events, newest first (all of them are on tidegate/deadletter/<reason>).',
      ),
      table(
        ['at', 'reason', 'topic', 'payload', 'errors'],
        deadLetters.map((d) => [
          clock(d.at),
          d.reason,
          d.topic,
          h('code', { class: 'payload' }, d.encoding === 'base64' ? `base64:${d.preview}` : d.preview),
          h('ul', { class: 'plain' }, ...d.errors.map((e) => h('li', {}, e))),
        ]),
        'no dead letters',
      ),
    )
  }
  await load()
  return {
    el,
    onChanged(what) {
      if (what.includes('deadletters')) void load()
    },
  }
}
