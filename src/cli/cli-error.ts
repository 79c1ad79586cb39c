import type { ErrorCode } from '../core/error-codes.js'
import { FileErrors } from '../core/file-errors.js'

/** An error a command reports as `CODE: message` (docs/errors.md), exiting with `exitCode`. */
export class CliError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message)
    this.name = 'CliError'
  }
}

/** One error line for stderr: `CODE: message`. */
export function errorLine(code: ErrorCode, message: string): string {
  return `${code}: ${message}`
}

/** A usage problem followed by the command's usage text, exit 2. */
export function usageText(problem: string, usage: string): string {
  return `${errorLine('TG_CLI_USAGE', problem)}\n\n${usage}`
}

/**
 * What the CLI prints for an error no command handled: file problems one per line (each with its code),
 * a bad option as TG_CLI_USAGE (exit 2), anything else as TG_CLI_FAILED (exit 1).
 */
export function describeUncaught(err: unknown): { text: string; exitCode: 1 | 2 } {
  if (err instanceof FileErrors) return { text: err.message, exitCode: 1 }
  if (err instanceof CliError) return { text: errorLine(err.code, err.message), exitCode: err.exitCode }
  const message = err instanceof Error ? err.message : String(err)
  // node:util parseArgs throws ERR_PARSE_ARGS_* for an unknown or malformed option.
  if (String((err as { code?: unknown } | null)?.code ?? '').startsWith('ERR_PARSE_ARGS'))
    return { text: errorLine('TG_CLI_USAGE', message), exitCode: 2 }
  return { text: errorLine('TG_CLI_FAILED', message), exitCode: 1 }
}
