/**
 * The outbox's time: its clock reading and its timers (commit window, flush interval, backoff). Injected
 * so tests can move time by hand while sockets and fetch run for real.
 */
export interface Clock {
  now(): number
  /** `unref`: the timer alone does not keep the process alive. */
  setTimeout(fn: () => void, ms: number, options?: { unref?: boolean }): unknown
  clearTimeout(handle: unknown): void
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms, options) {
    const t = setTimeout(fn, ms)
    if (options?.unref) t.unref()
    return t
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout)
  },
}
