import { describe, expect, it } from 'vitest'
import { planLeases } from '../../src/cluster/lease-plan.js'

const free = (n: number) => Array.from({ length: n }, () => null)

describe('lease plan', () => {
  it('a lone node takes every free partition', () => {
    expect(planLeases({ me: 'a', live: ['a'], owners: free(4) })).toEqual({
      acquire: [0, 1, 2, 3],
      release: [],
    })
  })

  it('a node over its share after a join gives back the rest; the joiner takes the freed ones', () => {
    const owners = ['a', 'a', 'a', 'a']
    expect(planLeases({ me: 'a', live: ['a', 'b'], owners })).toEqual({ acquire: [], release: [2, 3] })
    const after = ['a', 'a', null, null]
    expect(planLeases({ me: 'b', live: ['a', 'b'], owners: after })).toEqual({ acquire: [2, 3], release: [] })
  })

  it('takes at most ceil(partitions / live nodes), starting at its own offset', () => {
    const plan = planLeases({ me: 'c', live: ['a', 'b', 'c'], owners: free(8) }, 6)
    expect(plan.acquire).toEqual([6, 7, 0])
  })

  it('a dead node’s partitions are taken once its leases expired (free), not before', () => {
    const owners = ['a', 'b', 'a', 'b']
    expect(planLeases({ me: 'a', live: ['a'], owners })).toEqual({ acquire: [], release: [] })
    expect(planLeases({ me: 'a', live: ['a'], owners: ['a', null, 'a', null] })).toEqual({
      acquire: [1, 3],
      release: [],
    })
  })
})
