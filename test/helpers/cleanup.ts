import { afterEach } from 'vitest'

/**
 * Per-test teardown for what a test starts (gateways, clients, child processes, ptys): `cleanup.push(fn)`
 * during the test; after each test the functions run in reverse order, each awaited.
 */
export function useCleanup(): { push(fn: () => unknown): void } {
  let fns: (() => unknown)[] = []
  afterEach(async () => {
    const pending = fns.reverse()
    fns = []
    for (const fn of pending) await fn()
  })
  return { push: (fn) => void fns.push(fn) }
}
