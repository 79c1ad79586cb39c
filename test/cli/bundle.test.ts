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
    // mqtt-packet's debug() calls reach the no-op logger of debug-when-asked.cjs, not the debug package.
    expect(source).toContain('function debugOff()')
    expect(source).not.toMatch(/^\/\/ node_modules\/debug\/src\/common\.js$/m)
    // rxjs from its ES2015 build: a Subject's next loops natively, not through tslib's __values iterator
    // (an iterator result per subscriber per event; the ES5 build also held ~5 MB more RSS, docs/footprint.md).
    expect(source).toContain('for(const observer of this.currentObservers)')
    expect(source).not.toContain('__values(_this.currentObservers)')
  }, 60_000)
})

/** The bundle's `debug`: a no-op logger unless DEBUG asks for the real one. */
describe('debug-when-asked', () => {
  const probe = `const d = require('./src/cli/debug-when-asked.cjs')('mqtt-packet:parser'); d('parse: %s', 'header'); console.log(d.enabled)`
  const run = (env: Record<string, string>) =>
    exec('node', ['-e', probe], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env } })

  it('without DEBUG every logger is a silent no-op', async () => {
    const { stdout, stderr } = await run({})
    expect(stdout.trim()).toBe('false')
    expect(stderr).toBe('')
  })

  it('with DEBUG it is the debug package: the namespace asked for prints', async () => {
    const { stdout, stderr } = await run({ DEBUG: 'mqtt-packet:*' })
    expect(stdout.trim()).toBe('true')
    expect(stderr).toContain('mqtt-packet:parser parse: header')
  })
})
