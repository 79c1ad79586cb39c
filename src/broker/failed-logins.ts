const WINDOW_MS = 60_000
const MAX_TRACKED_ADDRESSES = 10_000

/**
 * Failed logins per client address per minute (the broker's `mqtt.auth.failedLoginsPerMinute`): past
 * the limit the address is refused without running scrypt, which also bounds the CPU a guesser burns.
 */
export class FailedLogins {
  private readonly windows = new Map<string, { start: number; count: number }>()

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  blocked(address: string): boolean {
    const w = this.windows.get(address)
    if (!w || this.now() - w.start >= WINDOW_MS) return false
    return w.count >= this.perMinute
  }

  record(address: string): void {
    const t = this.now()
    let w = this.windows.get(address)
    if (!w || t - w.start >= WINDOW_MS) {
      this.windows.delete(address)
      w = { start: t, count: 0 }
      this.windows.set(address, w)
      if (this.windows.size > MAX_TRACKED_ADDRESSES) {
        const oldest = this.windows.keys().next().value
        if (oldest !== undefined) this.windows.delete(oldest)
      }
    }
    w.count++
  }
}
