import { type Logger, pino } from 'pino'

export type { Logger }

/** JSON logs; pretty on a terminal when pino-pretty is installed (dev). */
export function createLogger(level: string, pretty = process.stdout.isTTY === true): Logger {
  if (pretty) {
    try {
      return pino({ level, transport: { target: 'pino-pretty', options: { colorize: true } } })
    } catch {
      // pino-pretty is a dev dependency; production installs log JSON.
    }
  }
  return pino({ level })
}

/** Logs at most `perWindow` messages per key per window, then one summary of how many were suppressed. */
export class RateLimitedLog {
  private readonly windows = new Map<string, { start: number; count: number }>()

  constructor(
    private readonly logger: Logger,
    private readonly perWindow: number,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  warn(key: string, obj: object, msg: string): void {
    const t = this.now()
    let w = this.windows.get(key)
    if (!w || t - w.start >= this.windowMs) {
      if (w && w.count > this.perWindow) {
        this.logger.warn({ key, suppressed: w.count - this.perWindow }, 'repeated messages suppressed')
      }
      w = { start: t, count: 0 }
      this.windows.set(key, w)
    }
    w.count++
    if (w.count <= this.perWindow) this.logger.warn(obj, msg)
  }
}
