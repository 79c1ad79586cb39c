import type { FileError } from '../core/file-errors.js'
import type { YamlSource } from '../core/yaml-source.js'

export type Path = (string | number)[]

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
  add(path: Path, message: string, offset?: number): void {
    let { line, col } = this.source.locate(path)
    if (offset !== undefined) {
      // A quoted scalar starts one character before its text.
      const quote = this.lines[line - 1]?.[col - 1]
      col += offset + (quote === '"' || quote === "'" ? 1 : 0)
    }
    this.errors.push({ file: this.source.file, line, col, path: `/${path.join('/')}`, message })
  }
}
