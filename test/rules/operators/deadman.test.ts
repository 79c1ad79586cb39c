import { map } from 'rxjs'
import { describe, expect, it } from 'vitest'
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

  it('keeps what `keep` returns of the last value, the same object while it says nothing changed', () => {
    const scheduler = marbles()
    const keptObjects = new Set<object>()
    scheduler.run(({ cold, expectObservable }) => {
      const readings = {
        a: { id: 'd1', zone: 'north', t: 1 },
        b: { id: 'd1', zone: 'north', t: 2 },
        c: { id: 'd1', zone: 'south', t: 3 },
      }
      const src = cold('a 99ms b 99ms c 2999ms |', readings)
      const out = src.pipe(
        keyBy((r) => r.id),
        deadman<{ key: string; value: { zone: string } }, { zone: string }>({
          silence: '2s',
          scheduler,
          tick: 500,
          keep: (k, kept) => {
            const next = kept && kept.zone === k.value.zone ? kept : { zone: k.value.zone }
            keptObjects.add(next)
            return next
          },
        }),
        map((a) => `${a.key}:${a.state} zone ${a.value.last?.zone}`),
      )
      expectObservable(out).toBe('2500ms x 699ms (y|)', {
        x: 'd1:firing zone south',
        y: 'd1:resolved zone south',
      })
    })
    // Readings a and b shared one kept object; c (another zone) made the second.
    expect(keptObjects.size).toBe(2)
  })
})
