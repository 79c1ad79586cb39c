import { type Codec, fail } from './codec.js'
import type { TextCoercer } from './coerce.js'

const SKIP = new Set(['', '-'])

/** Splits one CSV record; double quotes protect separators, `""` is a literal quote. */
export function splitCsv(line: string, separator: string): string[] | null {
  const cells: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"'
        i++
      } else if (ch === '"') quoted = false
      else cell += ch
    } else if (ch === '"' && cell.trim() === '') {
      quoted = true
      cell = ''
    } else if (line.startsWith(separator, i)) {
      cells.push(cell)
      cell = ''
      i += separator.length - 1
    } else cell += ch
  }
  if (quoted) return null
  cells.push(cell)
  return cells
}

/** `bench-1,21.5,40` with `columns: [id, temperature, humidity]`; an empty cell leaves its field out. */
export function csvCodec(columns: readonly string[], separator: string, coerce: TextCoercer): Codec {
  return {
    decode(frame) {
      const cells = splitCsv(frame.toString('utf8'), separator)
      if (!cells) return fail('decode', 'unterminated quote')
      if (cells.length !== columns.length)
        return fail('columns', `expected ${columns.length} columns, got ${cells.length}`)
      const data: Record<string, unknown> = {}
      columns.forEach((name, i) => {
        const cell = cells[i] as string
        if (SKIP.has(name) || cell.trim() === '') return
        data[name] = coerce(name, cell)
      })
      return { ok: true, data }
    },
  }
}
