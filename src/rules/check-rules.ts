import { resolve } from 'node:path'
import type { GatewayConfig } from '../config/schema.js'
import type { FileError } from '../core/file-errors.js'
import { loadCatalog } from '../devices/catalog.js'
import { loadRulesDir } from './load.js'
import { isCodeRule } from './plan.js'

/**
 * `tidegate check` for rule files: every error of every file, plus rules that name a device type the
 * catalog does not have (they would never match). A missing rules folder is fine: no rules.
 */
export async function checkRuleFiles(config: Readonly<GatewayConfig>, baseDir: string): Promise<FileError[]> {
  const dir = resolve(baseDir, config.rules)
  const load = await loadRulesDir(dir)
  if (load.files.length === 0 && load.errors.length === 1 && /ENOENT/.test(load.errors[0]?.message ?? ''))
    return []
  const types = loadCatalog(resolve(baseDir, config.catalog)).catalog.types
  const errors = [...load.errors]
  for (const rule of load.rules) {
    if (isCodeRule(rule)) continue
    const type = rule.definition.from.type
    if (type !== undefined && types.size > 0 && !types.has(type)) {
      errors.push({
        file: rule.file,
        line: 0,
        col: 0,
        code: 'TG_RULE_UNKNOWN_TYPE',
        path: '/from/type',
        message: `device type "${type}" is not in the catalog (${[...types.keys()].join(', ')})`,
      })
    }
  }
  return errors
}
