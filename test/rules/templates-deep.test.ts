import { describe, expect, it } from 'vitest'
import { safeTopicLevels } from '../../src/rules/actions.js'
import { topicSafe } from '../../src/rules/effects.js'
import { compileDeep } from '../../src/rules/templates.js'

describe('rule action templates compiled at load', () => {
  it('compileDeep renders strings at any depth, keeps other values, and a lone placeholder keeps its type', () => {
    const render = compileDeep({
      on: true,
      level: '{{data.level}}',
      text: 'room {{tags.room}}: {{data.t}} °C',
      list: ['{{device}}', 3, { nested: '{{data.t}}' }],
      none: null,
    })
    const scope = { device: 'd1', data: { level: 7, t: 21.456789 }, tags: { room: 'a' } }
    expect(render(scope)).toEqual({
      on: true,
      level: 7,
      text: 'room a: 21.457 °C',
      list: ['d1', 3, { nested: 21.456789 }],
      none: null,
    })
    // Each render is a new value: a later scope does not change an earlier result.
    const first = render(scope) as { list: unknown[] }
    render({ ...scope, device: 'd2' })
    expect(first.list[0]).toBe('d1')
  })

  it('safeTopicLevels is each level through topicSafe, for safe and unsafe topics alike', () => {
    const slow = (t: string) => t.split('/').map(topicSafe).join('/')
    const topics = [
      'bench/hot/d1',
      'a',
      '',
      '/a',
      'a/',
      'a//b',
      'a/+/b',
      'a/#',
      '#',
      '+',
      'sensors/zone 1/t',
      'ä/ö',
    ]
    for (const t of topics) expect(safeTopicLevels(t), t).toBe(slow(t))
  })
})
