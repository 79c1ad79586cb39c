import { setImmediate } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { TurnBudget } from '../../src/ingest/turn-budget.js'

describe('TurnBudget', () => {
  it('runs tasks at once while the turn has budget', () => {
    const budget = new TurnBudget(1_000)
    const ran: number[] = []
    for (let i = 0; i < 5; i++) budget.run(() => ran.push(i))
    expect(ran).toEqual([0, 1, 2, 3, 4])
    expect(budget.queued).toBe(0)
  })

  it('past the budget, queues in order and runs the rest in later turns', async () => {
    const budget = new TurnBudget(0) // no budget: one task per turn, from setImmediate
    const ran: number[] = []
    for (let i = 0; i < 3; i++) budget.run(() => ran.push(i))
    expect(ran).toEqual([])
    expect(budget.queued).toBe(3)
    await setImmediate()
    expect(ran).toEqual([0])
    budget.run(() => ran.push(3)) // behind what waits, never before it
    for (let turn = 0; turn < 4; turn++) await setImmediate()
    expect(ran).toEqual([0, 1, 2, 3])
    expect(budget.queued).toBe(0)
  })

  it('a throwing task does not stop the queue', async () => {
    const budget = new TurnBudget(0)
    const ran: string[] = []
    budget.run(() => {
      throw new Error('boom')
    })
    budget.run(() => ran.push('after'))
    for (let turn = 0; turn < 3; turn++) await setImmediate()
    expect(ran).toEqual(['after'])
  })
})
