/** One problem in an operator-edited file, reported as `file:line:col path: message`. */
export interface FileError {
  file: string
  line: number
  col: number
  /** JSON-pointer-like path inside the document, e.g. `/mqtt/listeners/0/port`; empty for the root. */
  path: string
  message: string
}

export function formatFileError(e: FileError): string {
  const where = e.line > 0 ? `${e.file}:${e.line}:${e.col}` : e.file
  return `${where}${e.path ? ` ${e.path}` : ''}: ${e.message}`
}

/** Thrown when an operator file (config, device type, rule) cannot be used; carries every error found. */
export class FileErrors extends Error {
  readonly code = 'E_INVALID_FILE'
  constructor(readonly errors: FileError[]) {
    super(errors.map(formatFileError).join('\n'))
    this.name = 'FileErrors'
  }
}
