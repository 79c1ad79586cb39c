import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FileError } from '../core/file-errors.js'
import { isCodeRuleFile } from './code-rule.js'
import { dedupe, isRuleFile, loadAnyRuleFile, type RuleFileResult } from './load.js'
import type { LoadedRule } from './plan.js'

export interface FolderLoad {
  /** What should run: every good file, and the last good version of each bad one. */
  rules: LoadedRule[]
  /** Problems of this load; a bad file listed here keeps running its previous version. */
  errors: FileError[]
  /** Files whose previous version kept running because the new one is bad. */
  keptOld: string[]
}

/**
 * The rules folder as the gateway sees it across reloads: a file that turns bad is reported and its
 * last good version keeps running; a deleted file's rules go away.
 */
export class RuleFolder {
  private readonly lastGood = new Map<string, LoadedRule>()

  constructor(readonly dir: string) {}

  async load(): Promise<FolderLoad> {
    let names: string[]
    try {
      names = readdirSync(this.dir).filter(isRuleFile).sort()
    } catch (err) {
      const message = `cannot read rules folder: ${(err as Error).message}`
      // An unreadable folder (mid-rename, permissions) keeps everything that ran.
      return {
        rules: [...this.lastGood.values()],
        errors: [{ file: this.dir, line: 0, col: 0, code: 'TG_RULE_FOLDER_UNREADABLE', path: '', message }],
        keptOld: [...this.lastGood.keys()],
      }
    }
    const files = names.map((n) => join(this.dir, n))
    const present = new Set(files)
    for (const f of this.lastGood.keys()) if (!present.has(f)) this.lastGood.delete(f)
    const loaded: RuleFileResult[] = []
    for (const f of files) loaded.push((await this.unchangedCode(f)) ?? (await loadAnyRuleFile(f)))
    const results = dedupe(loaded)
    const keptOld: string[] = []
    const effective: RuleFileResult[] = results.files.map((r) => {
      if ('rule' in r) {
        this.lastGood.set(r.file, r.rule)
        return r
      }
      const old = this.lastGood.get(r.file)
      if (!old) return r
      keptOld.push(r.file)
      return { file: r.file, rule: old }
    })
    // The kept old versions may collide with a new file's id: dedupe again, the earlier file wins.
    const final = dedupe(effective)
    return {
      rules: final.rules,
      errors: [...results.errors, ...final.errors.filter((e) => !results.errors.includes(e))],
      keptOld,
    }
  }

  /**
   * A code rule whose text did not change is not imported again (each import of a new version stays in
   * memory for the life of the process): its last good load is reused and keeps running.
   */
  private async unchangedCode(file: string): Promise<RuleFileResult | null> {
    if (!isCodeRuleFile(file)) return null
    const old = this.lastGood.get(file)
    if (!old) return null
    try {
      const hash = createHash('sha256').update(readFileSync(file, 'utf8')).digest('hex')
      return hash === old.fingerprint ? { file, rule: old } : null
    } catch {
      return null
    }
  }
}
