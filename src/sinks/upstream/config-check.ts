import { accessSync, constants } from 'node:fs'
import { resolve } from 'node:path'
import { type ConfigProblem, locateConfigProblems } from '../../config/locate-problems.js'
import type { GatewayConfig } from '../../config/schema.js'
import type { FileError } from '../../core/file-errors.js'
import type { UpstreamConfig } from './config-schema.js'
import { ACK_FILTER, filtersOverlap, receivesCommands } from './filters.js'

/** A well-formed MQTT filter: `#` only as the last level, `+` and `#` only as whole levels. */
function filterProblem(filter: string): string | null {
  const levels = filter.split('/')
  for (const [i, level] of levels.entries()) {
    if (level === '#' && i !== levels.length - 1) return '`#` must be the last level'
    if (level.length > 1 && /[+#]/.test(level)) return '`+` and `#` must be a whole level'
  }
  return filter.startsWith('$') ? 'filters on $-topics are not forwarded' : null
}

/** What the `upstream` schema cannot say alone: filters well-formed, no loops, no reserved topics, files there. */
export function upstreamConfigProblems(c: UpstreamConfig, baseDir: string): ConfigProblem[] {
  const problems: ConfigProblem[] = []
  if (/[+#]/.test(c.prefix) || c.prefix.startsWith('/') || c.prefix.startsWith('$'))
    problems.push({
      code: 'TG_CONFIG_INVALID',
      path: ['prefix'],
      message: 'a prefix is topic levels without wildcards, not starting with / or $',
    })
  const forward = c.forward.map((f) => (typeof f === 'string' ? f : f.filter))
  forward.forEach((f, i) => {
    const p = filterProblem(f)
    if (p) problems.push({ code: 'TG_CONFIG_INVALID', path: ['forward', i], message: `"${f}": ${p}` })
  })
  c.receive.forEach((f, i) => {
    const p = filterProblem(f)
    if (p) problems.push({ code: 'TG_CONFIG_INVALID', path: ['receive', i], message: `"${f}": ${p}` })
    if (
      ['tidegate/#', 'alerts/#'].some(
        (reserved) => filtersOverlap(f, reserved) && f.split('/')[0] !== '#' && f.split('/')[0] !== '+',
      )
    )
      problems.push({
        code: 'TG_CONFIG_INVALID',
        path: ['receive', i],
        message: `"${f}": tidegate/# and alerts/# are the gateway's own, never written from upstream`,
      })
    // MQTT 5 subscribes with No Local; 3.1.1 would hear its own forwards back and deliver them again.
    if (c.protocolVersion === 4) {
      const sent = receivesCommands(c.receive) ? [...forward, ACK_FILTER] : forward
      const loop = sent.find((s) => filtersOverlap(s, f))
      if (loop !== undefined)
        problems.push({
          code: 'TG_CONFIG_CONFLICT',
          path: ['receive', i],
          message: `"${f}" overlaps the forwarded "${loop}": with protocolVersion 4 forwarded messages would come back (use 5, or disjoint filters)`,
        })
    }
  })
  if (c.password !== undefined && c.passwordFile !== undefined)
    problems.push({
      code: 'TG_CONFIG_CONFLICT',
      path: ['passwordFile'],
      message: 'give password or passwordFile, not both',
    })
  if ((c.cert === undefined) !== (c.key === undefined))
    problems.push({
      code: 'TG_CONFIG_CONFLICT',
      path: [c.cert === undefined ? 'key' : 'cert'],
      message: 'a client certificate needs both cert and key',
    })
  for (const key of ['passwordFile', 'ca', 'cert', 'key'] as const) {
    const file = c[key]
    if (file === undefined) continue
    try {
      accessSync(resolve(baseDir, file), constants.R_OK)
    } catch {
      problems.push({ code: 'TG_CONFIG_FILE_UNREADABLE', path: [key], message: `cannot read ${file}` })
    }
  }
  return problems
}

/** `tidegate check`: the upstream problems, located in the config file when it is given. */
export function upstreamConfigChecker(
  config: Readonly<GatewayConfig>,
  baseDir: string,
  configFile?: string,
): FileError[] {
  if (!config.upstream) return []
  return locateConfigProblems('upstream', upstreamConfigProblems(config.upstream, baseDir), configFile)
}
