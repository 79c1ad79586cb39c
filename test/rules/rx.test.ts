import { filter, map } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import { runRules } from '../../src/rules/rx.js'
import { ev, rule } from './harness.js'

const overheat = rule(`
version: 1
id: overheat
from: { type: climate-sensor }
window: { kind: tumbling, size: 10s }
aggregate: { mean: avg(data.t) }
when: mean > 30
for: 10s
actions:
  - alert: {}
`)

describe('runRules: the engine as an RxJS operator', () => {
  it('on a TestScheduler: windows close and `for` completes on virtual time', () => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
    scheduler.run(({ cold, expectObservable }) => {
      const readings = cold('a 4999ms b 4999ms c 4999ms d 4999ms e 4999ms |', {
        a: ev('d1', { t: 31 }),
        b: ev('d1', { t: 33 }),
        c: ev('d1', { t: 32 }),
        d: ev('d1', { t: 35 }),
        e: ev('d1', { t: 20 }),
      })
      const alerts = readings.pipe(
        runRules([overheat], { scheduler, tickMs: 1000 }),
        filter((e) => e.kind === 'alert'),
        map((e) => (e.kind === 'alert' ? `${e.alert.state}@${e.alert.at}` : '')),
      )
      expectObservable(alerts).toBe('10000ms a 9999ms b 4999ms |', { a: 'pending@10000', b: 'firing@20000' })
    })
  })
})
