import type { ErrorCode } from './error-codes.js'

/** One problem in an operator-edited file, reported as `file:line:col CODE path: message`. */
export interface FileError {
  file: string
  line: number
  col: number
  /** What kind of problem (docs/errors.md): stable, for scripts and searches; the message may change. */
  code: ErrorCode
  /** JSON-pointer-like path inside the document, e.g. `/mqtt/listeners/0/port`; empty for the root. */
  path: string
  message: string
}

export function formatFileError(e: FileError): string {
  const where = e.line > 0 ? `${e.file}:${e.line}:${e.col}` : e.file
  return `${where} ${e.code}${e.path ? ` ${e.path}` : ''}: ${e.message}`
}

/** Thrown when an operator file (config, device type, rule) cannot be used; carries every error found. */
export class FileErrors extends Error {
  /** The first problem's code; each problem in `errors` carries its own. */
  readonly code: ErrorCode
  constructor(readonly errors: FileError[]) {
    super(errors.map(formatFileError).join('\n'))
    this.name = 'FileErrors'
    this.code = errors[0]?.code ?? 'TG_CLI_FAILED'
  }
}
