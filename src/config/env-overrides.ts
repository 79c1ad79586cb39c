import { parse as parseYamlScalar } from 'yaml'

export const ENV_PREFIX = 'TIDEGATE_'

export interface EnvOverride {
  variable: string
  path: (string | number)[]
}

/**
 * Applies `TIDEGATE_<SECTION>__<KEY>...=value` overrides onto a config object.
 * Segments are separated by `__` and matched case-insensitively against existing keys (or the schema's
 * known keys), so `TIDEGATE_INFLUX__BATCHSIZE=1000` sets `influx.batchSize`. Numeric segments index
 * arrays. The value is read as a YAML scalar or flow collection: `8086`, `true`, `[a, b]`, `{host: x}`.
 * `TIDEGATE_CONFIG` (the config path) is not an override.
 */
export function applyEnvOverrides(
  config: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  knownKeys: (path: (string | number)[]) => string[],
): EnvOverride[] {
  const applied: EnvOverride[] = []
  for (const [variable, raw] of Object.entries(env)) {
    if (!variable.startsWith(ENV_PREFIX) || raw === undefined || variable === 'TIDEGATE_CONFIG') continue
    const segments = variable.slice(ENV_PREFIX.length).split('__').filter(Boolean)
    if (segments.length === 0) continue
    const path: (string | number)[] = []
    let node: Record<string, unknown> | unknown[] = config
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i] as string
      const last = i === segments.length - 1
      let key: string | number
      if (Array.isArray(node) && /^\d+$/.test(seg)) key = Number(seg)
      else {
        const existing = Object.keys(node).concat(knownKeys(path))
        key = existing.find((k) => k.toLowerCase() === seg.toLowerCase()) ?? seg.toLowerCase()
      }
      path.push(key)
      const container = node as Record<string | number, unknown>
      if (last) {
        container[key] = parseYamlScalar(raw)
      } else {
        const next = container[key]
        if (typeof next !== 'object' || next === null) {
          container[key] = /^\d+$/.test(segments[i + 1] as string) ? [] : {}
        }
        node = container[key] as Record<string, unknown>
      }
    }
    applied.push({ variable, path })
  }
  return applied
}
