import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FileError } from '../core/file-errors.js'
import { isCodeRuleFile, loadCodeRule } from './code-rule.js'
import { compileRuleText } from './compile.js'
import type { LoadedRule } from './plan.js'
import { unreadableRuleFile } from './problems.js'

/** One rule file's outcome: its rule, or every error in it. */
export type RuleFileResult = { file: string; rule: LoadedRule } | { file: string; errors: FileError[] }

/** YAML rule files, and rules in code (`*.rule.mjs`, `*.rule.ts`). */
export function isRuleFile(name: string): boolean {
  return (/\.ya?ml$/.test(name) || isCodeRuleFile(name)) && !name.startsWith('.')
}

/** Loads a rule file of either form. */
export async function loadAnyRuleFile(file: string): Promise<RuleFileResult> {
  if (!isCodeRuleFile(file)) return loadRuleFile(file)
  const out = await loadCodeRule(file)
  return 'rule' in out ? { file, rule: out.rule } : { file, errors: out.errors }
}

/** Loads a YAML rule file. */
export function loadRuleFile(file: string): RuleFileResult {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    return { file, errors: [unreadableRuleFile(file, err)] }
  }
  const out = compileRuleText(text, file)
  return 'rule' in out ? { file, rule: out.rule } : { file, errors: out.errors }
}

export interface RulesLoad {
  /** Per file, in name order. */
  files: RuleFileResult[]
  /** Good rules with unique ids (the first file wins a duplicate). */
  rules: LoadedRule[]
  errors: FileError[]
}

/** Loads every rule file of a folder. A missing folder is an error; an empty one is not. */
export async function loadRulesDir(dir: string): Promise<RulesLoad> {
  let names: string[]
  try {
    names = readdirSync(dir).filter(isRuleFile).sort()
  } catch (err) {
    const message = `cannot read rules folder: ${(err as Error).message}`
    const error = {
      file: dir,
      line: 0,
      col: 0,
      code: 'TG_RULE_FOLDER_UNREADABLE',
      path: '',
      message,
    } as const
    return { files: [], rules: [], errors: [error] }
  }
  const files: RuleFileResult[] = []
  for (const n of names) files.push(await loadAnyRuleFile(join(dir, n)))
  return dedupe(files)
}

/** Turns a second rule with an id already taken into an error of its file. */
export function dedupe(files: RuleFileResult[]): RulesLoad {
  const seen = new Map<string, string>()
  const out: RuleFileResult[] = []
  for (const f of files) {
    if ('rule' in f) {
      const first = seen.get(f.rule.id)
      if (first !== undefined) {
        const message = `rule id "${f.rule.id}" is already used by ${first}`
        out.push({
          file: f.file,
          errors: [{ file: f.file, line: 1, col: 1, code: 'TG_RULE_DUPLICATE_ID', path: '/id', message }],
        })
        continue
      }
      seen.set(f.rule.id, f.file)
    }
    out.push(f)
  }
  return {
    files: out,
    rules: out.flatMap((f) => ('rule' in f ? [f.rule] : [])),
    errors: out.flatMap((f) => ('errors' in f ? f.errors : [])),
  }
}
