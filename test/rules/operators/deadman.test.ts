import { map } from 'rxjs'
import { describe, it } from 'vitest'
import { deadman, keyBy } from '../../../src/rules/operators/index.js'
import { marbles } from './marbles.js'

describe('deadman (marble tests on virtual time)', () => {
  it('fires for a key silent for `silence`, resolves when it speaks; expected keys count from the start', () => {
    const scheduler = marbles()
    scheduler.run(({ cold, expectObservable }) => {
      const src = cold('a 2999ms b 1999ms |', { a: 'd1', b: 'd1' })
      const out = src.pipe(
        keyBy((d) => d),
        deadman({ silence: '2s', expect: ['d2'], scheduler, tick: 500 }),
        map((a) => `${a.key}:${a.state}@${a.at} silent ${a.value.silentFor}`),
      )
      // The input completing (rule removed) resolves what still fires.
      expectObservable(out).toBe('2000ms (xy) 996ms z 1999ms (w|)', {
        x: 'd2:firing@2000 silent 2000',
        y: 'd1:firing@2000 silent 2000',
        z: 'd1:resolved@3000 silent 0',
        w: 'd2:resolved@5000 silent 4500',
      })
    })
  })
})
