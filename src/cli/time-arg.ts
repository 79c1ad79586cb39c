import { CliError } from './cli-error.js'

/**
 * A point in time on the command line: epoch ms (`1732700000000`), an ISO date (`2026-11-27T10:00:00Z`),
 * or relative to now (`-2h`, `-30m`, `-7d`).
 */
export function parseTimeArg(text: string, now = Date.now()): number {
  if (/^\d+$/.test(text)) return Number(text)
  const rel = /^-(\d+)(s|m|h|d)$/.exec(text)
  if (rel)
    return (
      now -
      Number(rel[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as 's' | 'm' | 'h' | 'd']
    )
  const t = Date.parse(text)
  if (Number.isNaN(t))
    throw new CliError('TG_CLI_USAGE', `cannot read "${text}" as a time (epoch ms, ISO date, or -2h)`)
  return t
}
