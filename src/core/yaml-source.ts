import { readFileSync } from 'node:fs'
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml'
import type { YamlFileCodes } from './error-codes.js'
import type { FileError } from './file-errors.js'

/** A parsed YAML file that can tell where any path in it came from. */
export interface YamlSource {
  file: string
  /** The codes this kind of file reports (config, device type, registry, rule). */
  codes: YamlFileCodes
  value: unknown
  /**
   * Line and column (1-based) of the node at `path`, or of its closest existing parent.
   * `at: 'key'` points at the last segment's key instead of its value (unknown keys, duplicate keys).
   */
  locate(path: readonly (string | number)[], at?: 'key' | 'value'): { line: number; col: number }
  /** Syntax errors; when non-empty, `value` must not be used. */
  errors: FileError[]
}

export function parseYamlFile(file: string, codes: YamlFileCodes): YamlSource {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    const message = `cannot read file: ${(err as Error).message}`
    return {
      file,
      codes,
      value: undefined,
      locate: () => ({ line: 0, col: 0 }),
      errors: [{ file, line: 0, col: 0, code: codes.unreadable, path: '', message }],
    }
  }
  return parseYamlText(text, file, codes)
}

export function parseYamlText(text: string, file: string, codes: YamlFileCodes): YamlSource {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true })
  const at = (offset: number) => {
    const pos = lineCounter.linePos(offset)
    return { line: pos.line, col: pos.col }
  }
  const errors: FileError[] = doc.errors.map((e) => ({
    file,
    ...at(e.pos[0]),
    code: codes.syntax,
    path: '',
    message: e.message.split('\n')[0] ?? e.message,
  }))
  const locate = (path: readonly (string | number)[], want: 'key' | 'value' = 'value') => {
    let node: unknown = doc.contents
    let best = node as Node | null
    for (let i = 0; i < path.length; i++) {
      const key = path[i] as string | number
      if (isMap(node)) {
        const pair = node.items.find(
          (p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(key),
        )
        if (!pair) break
        node = pair.value ?? pair.key
        // Point at the key when asked (unknown keys) or when the value is missing, else at the value.
        const keyWanted = want === 'key' && i === path.length - 1
        best = keyWanted ? (pair.key as Node) : ((pair.value as Node | null) ?? (pair.key as Node))
      } else if (isSeq(node)) {
        const item = node.items[Number(key)]
        if (item === undefined) break
        node = item
        best = item as Node
      } else break
    }
    const range = best?.range
    return range ? at(range[0]) : { line: 1, col: 1 }
  }
  return { file, codes, value: errors.length ? undefined : doc.toJS({ maxAliasCount: 100 }), locate, errors }
}
