import { TestScheduler } from 'rxjs/testing'
import { expect } from 'vitest'

/** A TestScheduler asserting with vitest; SHOW_MARBLES=1 prints the actual frames (writing new tests). */
export function marbles(): TestScheduler {
  return new TestScheduler((actual, expected) => {
    if (process.env.SHOW_MARBLES)
      console.log(
        JSON.stringify(
          actual.map((a: { frame: number; notification: { kind: string; value?: unknown } }) => [
            a.frame,
            a.notification.kind,
            a.notification.value,
          ]),
        ),
      )
    expect(actual).toEqual(expected)
  })
}
