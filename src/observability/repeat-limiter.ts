export interface RepeatVerdict {
  /** Whether this occurrence may be logged. */
  allow: boolean
  /** When a new window opens: how many occurrences the previous window suppressed (to report once). */
  suppressedBefore: number
}

/** Most keys tracked at once; a flood of distinct keys starts over rather than growing memory. */
const MAX_KEYS = 1000

/**
 * Counts occurrences per key in fixed windows: the first `perWindow` pass, the rest are suppressed and
 * reported as one number when the key next occurs in a later window.
 */
export class RepeatLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>()

  constructor(
    private readonly perWindow: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  check(key: string): RepeatVerdict {
    const t = this.now()
    let w = this.windows.get(key)
    let suppressedBefore = 0
    if (!w || t - w.start >= this.windowMs) {
      if (w && w.count > this.perWindow) suppressedBefore = w.count - this.perWindow
      if (!w && this.windows.size >= MAX_KEYS) this.windows.clear()
      w = { start: t, count: 0 }
      this.windows.set(key, w)
    }
    w.count++
    return { allow: w.count <= this.perWindow, suppressedBefore }
  }
}
