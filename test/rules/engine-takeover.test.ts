import { describe, expect, it } from 'vitest'
import { rule, virtualEngine } from './harness.js'

const hot = rule(`
version: 1
id: hot
from: { type: climate-sensor }
when: "data.t > 30"
clear: "data.t < 28"
actions:
  - alert: { message: "hot" }
`)

describe('alert state handed between cluster nodes (virtual time)', () => {
  it('a restored firing alert is not announced again and resolves on the next clear', () => {
    const v = virtualEngine([hot])
    v.engine.alertSeeds = (r, key) =>
      r === 'hot' && key === 'd1' ? { state: 'firing', since: 500, at: 500 } : undefined
    v.at(1000)
    v.send('d1', { t: 35 })
    v.at(2000)
    v.send('d1', { t: 20 })
    expect(v.states()).toEqual(['d1:resolved@2000'])
    expect(v.alerts[0]).toMatchObject({ previous: 'firing', since: 500 })
  })

  it('forgetAlert drops a key’s state silently; the key starts again from its seed (or fresh)', () => {
    const v = virtualEngine([hot])
    v.at(1000)
    v.send('d1', { t: 35 })
    v.engine.forgetAlert('hot', 'd1')
    // Meanwhile another node resolved it; it comes back here with no seed: a fresh machine.
    v.at(2000)
    v.send('d1', { t: 20 })
    v.at(3000)
    v.send('d1', { t: 35 })
    expect(v.states()).toEqual(['d1:firing@1000', 'd1:firing@3000'])
  })
})
