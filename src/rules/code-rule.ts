import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { type Observable, Subject } from 'rxjs'
import type { ErrorCode } from '../core/error-codes.js'
import type { Event } from '../core/event.js'
import type { FileError } from '../core/file-errors.js'
import type { Effect } from './operators/effects.js'
import { newMeter, withRuleContext } from './operators/operate.js'
import { SteppedScheduler } from './operators/scheduler.js'
import type { CodeRule } from './plan.js'
import { unreadableRuleFile } from './problems.js'
import { locate } from './running-rule.js'
import { ruleTools } from './tools.js'

/** `*.rule.mjs` and `*.rule.ts` in the rules folder are rules written in code. */
export function isCodeRuleFile(name: string): boolean {
  return /\.rule\.(mjs|ts)$/.test(name) && !name.startsWith('.')
}

const ID_RE = /^[A-Za-z0-9_.-]+$/

/**
 * Loads a code rule: imports the module (a `.rule.ts` is compiled with esbuild first), checks its
 * exports, and builds its pipeline once against an idle input so a throw while building is reported
 * now, with file:line, instead of when the gateway installs it. The code runs with the gateway's
 * privileges: only files in the rules folder are ever loaded.
 */
export async function loadCodeRule(file: string): Promise<{ rule: CodeRule } | { errors: FileError[] }> {
  const fail = (code: ErrorCode, message: string, err?: unknown) => {
    const at = err === undefined ? null : position(err, file)
    return { errors: [{ file, line: at?.line ?? 1, col: at?.col ?? 1, code, path: '', message }] }
  }
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    return { errors: [unreadableRuleFile(file, err)] }
  }
  const fingerprint = createHash('sha256').update(text).digest('hex')
  let mod: Record<string, unknown>
  try {
    mod = file.endsWith('.ts')
      ? await importTypeScript(file, text)
      : await import(`${pathToFileURL(file).href}?v=${fingerprint.slice(0, 16)}`)
  } catch (err) {
    if (isCompileError(err)) {
      const e = err.errors[0]
      return {
        errors: [
          {
            file,
            line: e?.location?.line ?? 1,
            col: (e?.location?.column ?? 0) + 1,
            code: 'TG_RULE_CODE_LOAD',
            path: '',
            message: e?.text ?? 'does not compile',
          },
        ],
      }
    }
    const message = `cannot load: ${(err as Error).message}`
    // Node leaves the place of an ES module's syntax error out of the error: esbuild finds it.
    const at = err instanceof SyntaxError && !position(err, file) ? await syntaxErrorAt(text) : null
    if (at) return { errors: [{ file, ...at, code: 'TG_RULE_CODE_LOAD', path: '', message }] }
    return fail('TG_RULE_CODE_LOAD', message, err)
  }
  const build = mod.default
  if (typeof build !== 'function')
    return fail(
      'TG_RULE_CODE_EXPORT',
      'the default export must be a function (events$, t) => Observable of effects',
    )
  const id = typeof mod.id === 'string' ? mod.id : basename(file).replace(/\.rule\.(mjs|ts)$/, '')
  if (!ID_RE.test(id)) return fail('TG_RULE_CODE_EXPORT', `rule id "${id}": letters, digits, _ . - only`)
  const mode = mod.mode === 'shadow' ? 'shadow' : 'live'
  const severity = mod.severity === 'info' || mod.severity === 'critical' ? mod.severity : 'warning'
  const rule: CodeRule = {
    id,
    file,
    fingerprint,
    mode,
    severity,
    enabled: mod.enabled !== false,
    build: build as CodeRule['build'],
  }
  // A trial build on a throwaway clock: the pipeline is not subscribed, nothing runs.
  try {
    const scheduler = new SteppedScheduler(0)
    const out = withRuleContext({ scheduler, tick: 1, meter: newMeter() }, () =>
      rule.build(
        new Subject<Event>().asObservable(),
        ruleTools({ id, file, mode }, scheduler, () => {}),
      ),
    ) as Observable<Effect> | undefined
    if (!out || typeof out.subscribe !== 'function')
      return fail(
        'TG_RULE_CODE_EXPORT',
        `the default export must return an Observable of effects, got ${typeof out}`,
      )
  } catch (err) {
    return fail('TG_RULE_BUILD', `building the pipeline threw: ${(err as Error).message}`, err)
  }
  return { rule }
}

/**
 * Compiles a `.rule.ts` with esbuild (types stripped, nothing bundled) and imports it. The compiled
 * module is imported from a private temporary file, not a data: URL, because Node applies inline source
 * maps to file modules only: stack traces then name the .ts file and its own lines (errors show file:line).
 */
async function importTypeScript(file: string, text: string): Promise<Record<string, unknown>> {
  const esbuild = await import('esbuild')
  process.setSourceMapsEnabled(true)
  const out = esbuild.transformSync(text, {
    loader: 'ts',
    format: 'esm',
    target: 'node20',
    sourcefile: file,
    sourcemap: 'inline',
  })
  const dir = mkdtempSync(join(tmpdir(), 'tidegate-rule-'))
  try {
    const compiled = join(dir, `${basename(file)}.mjs`)
    writeFileSync(compiled, out.code, { mode: 0o600 })
    return await import(pathToFileURL(compiled).href)
  } finally {
    // The module (and its source map) stay loaded; the file is not needed once imported.
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Where esbuild stops parsing a module's text, or null when it parses. */
async function syntaxErrorAt(text: string): Promise<{ line: number; col: number } | null> {
  const esbuild = await import('esbuild')
  try {
    esbuild.transformSync(text, { loader: 'js', format: 'esm' })
    return null
  } catch (err) {
    const location = isCompileError(err) ? err.errors[0]?.location : null
    return location ? { line: location.line, col: location.column + 1 } : null
  }
}

interface CompileError {
  errors: { text: string; location: { line: number; column: number } | null }[]
}

function isCompileError(err: unknown): err is CompileError {
  return Array.isArray((err as CompileError | null)?.errors)
}

/** Line and column of an error inside `file`: from its stack, or a SyntaxError's first line. */
function position(err: unknown, file: string): { line: number; col: number } | null {
  const where = locate(err, file)
  if (where) {
    const m = /:(\d+):(\d+)$/.exec(where)
    if (m) return { line: Number(m[1]), col: Number(m[2]) }
  }
  const stack = String((err as { stack?: unknown } | null)?.stack ?? '')
  const m = new RegExp(`${escapeRegExp(pathToFileURL(file).href)}(?:\\?[^:\\s]*)?:(\\d+)`).exec(stack)
  return m ? { line: Number(m[1]), col: 1 } : null
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
