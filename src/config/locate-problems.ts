import { CONFIG_FILE, type ErrorCode } from '../core/error-codes.js'
import type { FileError } from '../core/file-errors.js'
import { parseYamlFile } from '../core/yaml-source.js'

/** A problem a config checker found: its path under the section, and what is wrong. */
export interface ConfigProblem {
  /** TG_CONFIG_CONFLICT, TG_CONFIG_UNKNOWN_NAME, ... (docs/errors.md). */
  code: ErrorCode
  path: (string | number)[]
  message: string
}

/**
 * `tidegate check`: problems of one config section as file:line errors (line 0 when the file cannot be
 * located, e.g. a config built in code).
 */
export function locateConfigProblems(
  section: string,
  problems: ConfigProblem[],
  configFile?: string,
): FileError[] {
  if (problems.length === 0) return []
  const source = configFile ? parseYamlFile(configFile, CONFIG_FILE) : null
  return problems.map((p) => ({
    file: configFile ?? 'config',
    ...(source && source.errors.length === 0 ? source.locate([section, ...p.path]) : { line: 0, col: 0 }),
    code: p.code,
    path: `/${section}/${p.path.join('/')}`,
    message: p.message,
  }))
}
