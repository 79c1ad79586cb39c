import { readFileSync } from 'node:fs'
import { type FileError, FileErrors } from '../core/file-errors.js'
import { ENV_PREFIX } from './env-overrides.js'

const FILE_SUFFIX = '_FILE'

/**
 * Secrets (InfluxDB password or token, ...) should not sit in the config file or in the environment
 * of every process: `TIDEGATE_<PATH>_FILE=/run/secrets/x` reads the value of `TIDEGATE_<PATH>` from
 * that file (one trailing newline dropped), the convention of Docker and systemd credentials. Returns
 * the environment with the `_FILE` variables replaced; an unreadable file is a config error that names
 * the variable and the path, never the content.
 */
export function withSecretFiles(
  env: NodeJS.ProcessEnv,
  read = (p: string) => readFileSync(p, 'utf8'),
): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {}
  const errors: FileError[] = []
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || !name.endsWith(FILE_SUFFIX) || value === undefined) {
      out[name] = value
      continue
    }
    const target = name.slice(0, -FILE_SUFFIX.length)
    try {
      out[target] = read(value).replace(/\r?\n$/, '')
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unreadable'
      errors.push({
        file: `env ${name}`,
        line: 0,
        col: 0,
        code: 'TG_CONFIG_SECRET_FILE',
        path: '',
        message: `cannot read secret file ${value} (${code})`,
      })
    }
  }
  if (errors.length) throw new FileErrors(errors)
  return out
}
