import { parse as parseYaml } from 'yaml'

export const ENV_PREFIX = 'TIDEGATE_'
/** Variables with the prefix that are not config overrides. */
const NOT_OVERRIDES = new Set(['TIDEGATE_CONFIG'])

export interface EnvOverride {
  variable: string
  path: (string | number)[]
}

/** What the schema says about a path: its known keys and whether it only takes strings. */
export interface SchemaView {
  keysAt(path: readonly (string | number)[]): string[]
  isStringAt(path: readonly (string | number)[]): boolean
}

/** `BATCH_SIZE`, `batchsize` and `batchSize` all name `batchSize`: compare without case and underscores. */
function sameKey(a: string, b: string): boolean {
  return a.replace(/_/g, '').toLowerCase() === b.replace(/_/g, '').toLowerCase()
}

/**
 * Reads a variable's value: as-is for string keys (a password `123456` stays a string), else as a
 * YAML scalar or flow collection (`8086`, `true`, `[a, b]`, `{host: x}`); text YAML cannot read stays text.
 */
function readValue(raw: string, stringOnly: boolean): unknown {
  if (stringOnly) return raw
  try {
    return parseYaml(raw)
  } catch {
    return raw
  }
}

/**
 * Applies `TIDEGATE_<SECTION>__<KEY>...=value` overrides onto a config object, in variable-name order.
 * Segments are separated by `__` and matched against the file's and the schema's keys ignoring case and
 * underscores, so `TIDEGATE_INFLUX__BATCHSIZE` and `TIDEGATE_INFLUX__BATCH_SIZE` set `influx.batchSize`.
 * Numeric segments index arrays. An unknown key is kept (lower-cased) so validation reports it
 * against the variable. `TIDEGATE_CONFIG` (the config path) is not an override.
 */
export function applyEnvOverrides(
  config: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  schema: SchemaView,
): EnvOverride[] {
  const applied: EnvOverride[] = []
  const variables = Object.keys(env)
    .filter((v) => v.startsWith(ENV_PREFIX) && !NOT_OVERRIDES.has(v) && env[v] !== undefined)
    .sort()
  for (const variable of variables) {
    const raw = env[variable] as string
    const segments = variable.slice(ENV_PREFIX.length).split('__').filter(Boolean)
    if (segments.length === 0) continue
    const path: (string | number)[] = []
    let node: Record<string | number, unknown> = config
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i] as string
      let key: string | number
      if (Array.isArray(node) && /^\d+$/.test(seg)) key = Number(seg)
      else {
        const candidates = Object.keys(node).concat(schema.keysAt(path))
        key = candidates.find((k) => sameKey(k, seg)) ?? seg.toLowerCase()
      }
      path.push(key)
      if (i === segments.length - 1) {
        node[key] = readValue(raw, schema.isStringAt(path))
      } else {
        const next = node[key]
        if (typeof next !== 'object' || next === null) {
          node[key] = /^\d+$/.test(segments[i + 1] as string) ? [] : {}
        }
        node = node[key] as Record<string | number, unknown>
      }
    }
    applied.push({ variable, path })
  }
  return applied
}

/** The override a validation error at `pointer` (`/influx/batchSize`) came from, if any. */
export function overrideAt(overrides: readonly EnvOverride[], pointer: string): EnvOverride | undefined {
  // Later variables win on the same path, so the last match is the one that set the value.
  let found: EnvOverride | undefined
  for (const o of overrides) {
    const own = `/${o.path.join('/')}`
    if (pointer === own || pointer.startsWith(`${own}/`)) found = o
  }
  return found
}
