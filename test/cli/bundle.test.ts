import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'

const exec = promisify(execFile)
const ROOT = resolve(import.meta.dirname, '../..')
// Inside the repository, so the bundle's externals (lmdb, serialport, pino) resolve from its node_modules.
mkdirSync(join(ROOT, 'node_modules/.cache'), { recursive: true })
const dir = mkdtempSync(join(ROOT, 'node_modules/.cache/tidegate-bundle-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/**
 * The service runs the esbuild bundle (`npm run build:bundle`). V8 keeps a module's source text for as
 * long as the module lives, as a one-byte string only when every character is Latin-1: one "→" in a kept
 * comment made the whole 3.5 MB bundle a two-byte string (7.5 MB of heap, 16 MB of idle RSS).
 */
describe('npm run build:bundle', () => {
  it('builds a gateway whose source is Latin-1 without comments, and it runs', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    const script = pkg.scripts['build:bundle'] as string
    const outfile = join(dir, 'tidegate.mjs')
    // The package script as is, only written elsewhere (dist/ stays as it is).
    const command = script.replace(/--outfile=\S+/, `--outfile=${outfile}`)
    await exec('sh', ['-c', `npx ${command}`], { cwd: ROOT })
    const source = readFileSync(outfile, 'utf8')
    // Latin-1 only (esbuild leaves a "µ" inside a dependency's regex literal: one byte, fine).
    expect([...source].filter((c) => (c.codePointAt(0) as number) > 0xff)).toEqual([])
    expect(source).not.toContain('/**')
    const { stdout } = await exec('node', [outfile, 'check', '--config', 'config/gateway.yaml'], { cwd: ROOT })
    expect(stdout).toContain('config/gateway.yaml: ok')
  }, 60_000)
})
