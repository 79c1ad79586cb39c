import type { ErrorCode } from '../core/error-codes.js'
import type { FileError } from '../core/file-errors.js'
import type { YamlSource } from '../core/yaml-source.js'

export type Path = (string | number)[]

/** A rule file (YAML or code) that cannot be read. */
export function unreadableRuleFile(file: string, err: unknown): FileError {
  const message = `cannot read file: ${(err as Error).message}`
  return { file, line: 0, col: 0, code: 'TG_RULE_UNREADABLE', path: '', message }
}

/** Collects located errors for one file; the expression helpers point inside the expression text. */
export class Problems {
  readonly errors: FileError[] = []
  private readonly lines: string[]

  constructor(
    private readonly source: YamlSource,
    text: string,
  ) {
    this.lines = text.split('\n')
  }

  /** `offset`: a position inside the expression text at `path` (CEL errors). */
  add(code: ErrorCode, path: Path, message: string, offset?: number): void {
    let { line, col } = this.source.locate(path)
    if (offset !== undefined) {
      // A quoted scalar starts one character before its text.
      const quote = this.lines[line - 1]?.[col - 1]
      col += offset + (quote === '"' || quote === "'" ? 1 : 0)
    }
    this.errors.push({ file: this.source.file, line, col, code, path: `/${path.join('/')}`, message })
  }
}
