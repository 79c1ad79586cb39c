import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  )
}

describe('the broker facade', () => {
  it('nothing outside src/broker/ imports aedes or reaches the raw Aedes instance', () => {
    const offenders = sources('src')
      .filter((f) => !f.startsWith(join('src', 'broker')))
      .filter((f) => /from 'aedes|broker\.instance\b|_disconnected/.test(readFileSync(f, 'utf8')))
    expect(offenders).toEqual([])
  })
})
