/**
 * Time and timers, injected wherever a timeout, window or backoff runs (availability, commands, outbox),
 * so tests move time by hand while sockets and files stay real.
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

/** Timers that never keep a stopping process alive (device silence, command timeouts). */
export const UNREF = { unref: true } as const
