import type { RoleConfig } from './config-schema.js'
import { filterCoveredBy, matchesAny } from './topic-match.js'

/**
 * Topic access by role. A role lists publish and subscribe patterns with `%c` (client id) and `%u`
 * (username, the device id for devices) substituted per client, as Mosquitto does. Whatever the
 * roles say, clients never write `tidegate/#`, `alerts/#` or `$`-topics: those belong to the gateway.
 */

export const BUILT_IN_ROLES: Record<string, RoleConfig> = {
  device: { publish: ['devices/%u/#'], subscribe: ['devices/%u/commands/#'] },
  operator: { publish: ['devices/+/commands/#', 'tidegate/commands/+/+'], subscribe: ['#', '$SYS/#'] },
  anonymous: { publish: ['#'], subscribe: ['#'] },
}

/** Topics only the gateway itself (publishes without a client) may write. */
export const GATEWAY_ONLY = ['tidegate/#', 'alerts/#']
/** Inside GATEWAY_ONLY, what a role may still be granted: operator command requests (docs/device-protocol.md). */
export const CLIENT_REQUESTS = ['tidegate/commands/+/+']

/** The permissions of one connected client, patterns already substituted. */
export interface Grant {
  role: string
  publish: string[]
  subscribe: string[]
}

export type PublishDecision = 'allow' | 'reserved' | 'denied'

/** Substitutes %c and %u; null when a value is missing or could widen the pattern (wildcards, `/`). */
function substitute(pattern: string, clientId: string, username: string | undefined): string | null {
  let unsafe = false
  const out = pattern.replace(/%[cu]/g, (token) => {
    const value = token === '%c' ? clientId : username
    if (!value || /[+#/]/.test(value)) unsafe = true
    return value ?? ''
  })
  return unsafe ? null : out
}

export class Acl {
  private readonly roles: Record<string, RoleConfig>

  constructor(configured: Record<string, RoleConfig>) {
    this.roles = { ...BUILT_IN_ROLES, ...configured }
  }

  hasRole(name: string): boolean {
    return Object.hasOwn(this.roles, name)
  }

  /** The grant of a client; an unknown role grants nothing (and `tidegate check` reports it). */
  grant(role: string, clientId: string, username: string | undefined): Grant {
    const def = Object.hasOwn(this.roles, role) ? this.roles[role] : undefined
    const expand = (patterns: string[] | undefined) =>
      (patterns ?? []).map((p) => substitute(p, clientId, username)).filter((p): p is string => p !== null)
    return { role, publish: expand(def?.publish), subscribe: expand(def?.subscribe) }
  }

  canPublish(grant: Grant, topic: string): PublishDecision {
    if (topic.startsWith('$') || (matchesAny(GATEWAY_ONLY, topic) && !matchesAny(CLIENT_REQUESTS, topic)))
      return 'reserved'
    return matchesAny(grant.publish, topic) ? 'allow' : 'denied'
  }

  canSubscribe(grant: Grant, filter: string): boolean {
    return grant.subscribe.some((p) => filterCoveredBy(filter, p))
  }

  /** Checked again on delivery: a persistent session may hold subscriptions from before a config change. */
  canReceive(grant: Grant, topic: string): boolean {
    return matchesAny(grant.subscribe, topic)
  }
}
