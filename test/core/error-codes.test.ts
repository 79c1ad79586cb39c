import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ERROR_CODES } from '../../src/core/error-codes.js'

const CODE_RE = /\bTG_[A-Z][A-Z0-9_]*\b/g

/** `| \`TG_X\` | meaning | where | what to do |` rows of docs/errors.md, code → meaning. */
function documentedCodes(): Map<string, string[]> {
  const rows = new Map<string, string[]>()
  for (const line of readFileSync('docs/errors.md', 'utf8').split('\n')) {
    const m = /^\| `(TG_[A-Z0-9_]+)` \| ([^|]+) \|/.exec(line)
    if (!m) continue
    const [, code, meaning] = m as unknown as [string, string, string]
    rows.set(code, [...(rows.get(code) ?? []), meaning.trim()])
  }
  return rows
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|mjs|js)$/.test(e.name))
    .map((e) => join(e.parentPath, e.name))
}

describe('error codes: catalogue, docs and source agree', () => {
  it('docs/errors.md lists every code of the catalogue once, with the same meaning, and no other code', () => {
    const documented = documentedCodes()
    const catalogue = Object.keys(ERROR_CODES)
    expect([...documented.keys()].filter((c) => !(c in ERROR_CODES))).toEqual([])
    expect(catalogue.filter((c) => !documented.has(c))).toEqual([])
    expect([...documented].filter(([, meanings]) => meanings.length > 1).map(([c]) => c)).toEqual([])
    const differing = catalogue.filter(
      (c) => documented.get(c)?.[0] !== ERROR_CODES[c as keyof typeof ERROR_CODES],
    )
    expect(differing).toEqual([])
  })

  it('every TG_ code written in src/ and simulator/ is in the catalogue', () => {
    const unknown: string[] = []
    for (const file of [...sourceFiles('src'), ...sourceFiles('simulator')]) {
      for (const code of readFileSync(file, 'utf8').match(CODE_RE) ?? [])
        if (!(code in ERROR_CODES)) unknown.push(`${file}: ${code}`)
    }
    expect(unknown).toEqual([])
  })

  it('every code of the catalogue is produced somewhere (no code documented but never reported)', () => {
    // The catalogue's own entries do not count as a use; its per-file code maps (CONFIG_FILE, ...) do.
    const catalogue = readFileSync('src/core/error-codes.ts', 'utf8').replace(
      /export const ERROR_CODES = \{[\s\S]*?\n\} as const/,
      '',
    )
    const files = [...sourceFiles('src'), ...sourceFiles('simulator')].filter(
      (f) => !f.endsWith('error-codes.ts'),
    )
    const used = new Set([catalogue, ...files.map((f) => readFileSync(f, 'utf8'))].join('\n').match(CODE_RE))
    expect(Object.keys(ERROR_CODES).filter((c) => !used.has(c))).toEqual([])
  })

  it('codes are TG_<AREA>_<PROBLEM> and meanings one line', () => {
    for (const [code, meaning] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^TG_[A-Z]+_[A-Z0-9_]+$/)
      expect(meaning).not.toMatch(/\n|\|/)
    }
  })
})
