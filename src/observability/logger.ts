import { type Logger, type LoggerOptions, pino } from 'pino'
import { RepeatLimiter } from './repeat-limiter.js'

export type { Logger }

export interface LogOptions {
  /** Warn/error/fatal lines with the same message text allowed per minute; 0 = unlimited. */
  repeatedPerMinute?: number
  /** Where JSON lines go (tests); stdout by default. */
  destination?: NodeJS.WritableStream
  now?: () => number
}

/** The `log` config section as the CLI hands it over. */
export interface LogConfig {
  level: string
  pretty: boolean | 'auto'
  repeatedPerMinute: number
}

// Secrets must never reach a log line, whoever logs a config or request object by mistake.
const REDACT = [
  'password',
  '*.password',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  '*.*.password',
]

/**
 * JSON logs (one object a line, for journald/Loki); pretty on a terminal when pino-pretty is installed
 * (a dev dependency, so production installs always log JSON). Repeated warnings and errors are
 * limited per message text, so a flapping device or a down InfluxDB cannot flood the SD card.
 */
export function createLogger(
  level: string,
  pretty = process.stdout.isTTY === true,
  options: LogOptions = {},
): Logger {
  const base: LoggerOptions = { level, redact: { paths: REDACT, censor: '[redacted]' } }
  const perMinute = options.repeatedPerMinute ?? 0
  if (perMinute > 0) {
    const limiter = new RepeatLimiter(perMinute, 60_000, options.now)
    base.hooks = {
      logMethod(args, method, lvl) {
        // Only warn (40) and above: info/debug volume is the operator's choice of level.
        if (lvl < 40) return method.apply(this, args)
        const verdict = limiter.check(`${lvl}:${messageText(args)}`)
        if (verdict.suppressedBefore > 0) {
          method.call(
            this,
            { suppressed: verdict.suppressedBefore, message: messageText(args) },
            'repeated log lines suppressed',
          )
        }
        if (verdict.allow) method.apply(this, args)
      },
    }
  }
  if (pretty && !options.destination) {
    try {
      return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true } } })
    } catch {
      // pino-pretty is a dev dependency; production installs log JSON.
    }
  }
  return options.destination ? pino(base, options.destination) : pino(base)
}

/** The CLI's way in: the `log` config section decides level, pretty printing and the repeat limit. */
export function createLoggerFromConfig(config: LogConfig): Logger {
  const pretty = config.pretty === 'auto' ? process.stdout.isTTY === true : config.pretty
  return createLogger(config.level, pretty, { repeatedPerMinute: config.repeatedPerMinute })
}

/** The message text of a pino call: `(obj, msg)`, `(msg)` or `(err)`. */
function messageText(args: unknown[]): string {
  const [first, second] = args
  if (typeof first === 'string') return first
  if (typeof second === 'string') return second
  if (first instanceof Error) return first.message
  return ''
}

/** Logs at most `perWindow` messages per key per window, then one summary of how many were suppressed. */
export class RateLimitedLog {
  private readonly limiter: RepeatLimiter

  constructor(
    private readonly logger: Logger,
    perWindow: number,
    windowMs = 60_000,
    now: () => number = Date.now,
  ) {
    this.limiter = new RepeatLimiter(perWindow, windowMs, now)
  }

  warn(key: string, obj: object, msg: string): void {
    this.log('warn', key, obj, msg)
  }

  error(key: string, obj: object, msg: string): void {
    this.log('error', key, obj, msg)
  }

  private log(level: 'warn' | 'error', key: string, obj: object, msg: string): void {
    const verdict = this.limiter.check(key)
    if (verdict.suppressedBefore > 0) {
      this.logger[level]({ key, suppressed: verdict.suppressedBefore }, 'repeated messages suppressed')
    }
    if (verdict.allow) this.logger[level](obj, msg)
  }
}
