import { createHash } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { BUILT_IN_ROLES } from '../../broker/acl.js'
import type { MqttConfig, RoleConfig } from '../../broker/config-schema.js'
import { FailedLogins } from '../../broker/failed-logins.js'
import { isLoopback } from '../../broker/listeners.js'
import { hashPassword, verifyPassword } from '../../broker/passwords.js'
import { filterCoveredBy } from '../../broker/topic-match.js'
import { type Session, SessionStore } from './sessions.js'

/** Who is asking, and what the status page lets them do. */
export interface Principal {
  user: string
  role: string
  via: 'session' | 'basic' | 'loopback'
  /** Present for a session: POSTs must send it back in `x-csrf-token`. */
  session?: Session
  canAct: boolean
}

export type Identity =
  | { kind: 'ok'; principal: Principal }
  /** No credentials (or an expired session) where anonymous access is not allowed. */
  | { kind: 'login_required' }
  | { kind: 'bad_credentials' }
  | { kind: 'rate_limited' }
  /** Authenticated, but the role may not view the page (devices). */
  | { kind: 'forbidden'; principal: Principal }

export const SESSION_COOKIE = 'tidegate_session'
/** A verified Basic password is remembered this long, so scripts polling the API do not run scrypt per call. */
const BASIC_CACHE_MS = 5 * 60_000
const BASIC_CACHE_MAX = 256

export interface WebAccessOptions {
  auth: MqttConfig['auth']
  roles: Record<string, RoleConfig>
  sessionTtlMs: number
  now?: () => number
}

/**
 * Access to the status page by the broker's users (`mqtt.auth.users`, scrypt hashes): a session cookie
 * from the login form, or HTTP Basic for scripts. Without credentials, loopback clients get the
 * anonymous role when `mqtt.auth.anonymous` is `loopback` (anyone when `always`), as on the broker.
 * Any role but `device` may view; acting (acknowledge, send commands) needs a role allowed to publish
 * device commands over MQTT: `operator` (or the built-in `anonymous` role, which may publish anything).
 */
export class WebAccess {
  readonly sessions: SessionStore
  private readonly users: Map<string, MqttConfig['auth']['users'][number]>
  private readonly roles: Record<string, RoleConfig>
  private readonly failures: FailedLogins
  private readonly basicCache = new Map<string, { role: string; until: number }>()
  private readonly now: () => number
  /** Checked when the user is unknown, so unknown and known names cost the same (no enumeration by timing). */
  private decoy: Promise<string> | null = null

  constructor(private readonly options: WebAccessOptions) {
    this.now = options.now ?? Date.now
    this.users = new Map(options.auth.users.map((u) => [u.username, u]))
    this.roles = { ...BUILT_IN_ROLES, ...options.roles }
    this.failures = new FailedLogins(options.auth.failedLoginsPerMinute, this.now)
    this.sessions = new SessionStore(options.sessionTtlMs, this.now)
  }

  /** Whether a role may act: it may publish commands to any device over MQTT. */
  canAct(role: string): boolean {
    if (role === 'device' || !Object.hasOwn(this.roles, role)) return false
    return (this.roles[role]?.publish ?? []).some((p) => filterCoveredBy('devices/+/commands/#', p))
  }

  async identify(req: IncomingMessage): Promise<Identity> {
    const sessionId = cookieOf(req, SESSION_COOKIE)
    const session = sessionId ? this.sessions.get(sessionId) : null
    if (session) return this.decide({ user: session.user, role: session.role, via: 'session', session })
    const basic = basicCredentials(req)
    if (basic) {
      const role = await this.check(basic.user, basic.password, req.socket.remoteAddress ?? '')
      if (typeof role !== 'string') return role
      return this.decide({ user: basic.user, role, via: 'basic' })
    }
    const anonymous = this.options.auth.anonymous
    const loopback = isLoopback(req.socket.remoteAddress ?? '')
    if (anonymous === 'always' || (anonymous === 'loopback' && loopback))
      return this.decide({ user: 'anonymous', role: this.options.auth.anonymousRole, via: 'loopback' })
    return { kind: 'login_required' }
  }

  /** The login form: a session for a user whose role may view. */
  async login(
    user: string,
    password: string,
    address: string,
  ): Promise<{ kind: 'ok'; session: Session } | Exclude<Identity, { kind: 'ok' }>> {
    const role = await this.check(user, password, address)
    if (typeof role !== 'string') return role
    const principal = { user, role, via: 'session' as const, canAct: this.canAct(role) }
    if (role === 'device') return { kind: 'forbidden', principal }
    return { kind: 'ok', session: this.sessions.create(user, role) }
  }

  private decide(p: Omit<Principal, 'canAct'>): Identity {
    const principal: Principal = { ...p, canAct: this.canAct(p.role) }
    return p.role === 'device' ? { kind: 'forbidden', principal } : { kind: 'ok', principal }
  }

  /** The user's role when the password is right; counts failures per address like the broker. */
  private async check(
    user: string,
    password: string,
    address: string,
  ): Promise<string | { kind: 'bad_credentials' } | { kind: 'rate_limited' }> {
    const cacheKey = createHash('sha256').update(`${user}\u0000${password}`).digest('base64')
    const cached = this.basicCache.get(cacheKey)
    if (cached && cached.until > this.now()) return cached.role
    if (this.failures.blocked(address)) return { kind: 'rate_limited' }
    const entry = this.users.get(user)
    this.decoy ??= hashPassword('decoy')
    const ok = await verifyPassword(password, entry?.passwordHash ?? (await this.decoy))
    if (!entry || !ok) {
      this.failures.record(address)
      return { kind: 'bad_credentials' }
    }
    this.basicCache.set(cacheKey, { role: entry.role, until: this.now() + BASIC_CACHE_MS })
    if (this.basicCache.size > BASIC_CACHE_MAX) {
      const oldest = this.basicCache.keys().next().value
      if (oldest !== undefined) this.basicCache.delete(oldest)
    }
    return entry.role
  }
}

export function cookieOf(req: IncomingMessage, name: string): string | null {
  const header = req.headers.cookie
  if (!header) return null
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim())
  }
  return null
}

function basicCredentials(req: IncomingMessage): { user: string; password: string } | null {
  const h = req.headers.authorization
  if (!h || !/^basic /i.test(h)) return null
  const text = Buffer.from(h.slice(6).trim(), 'base64').toString('utf8')
  const colon = text.indexOf(':')
  if (colon < 0) return null
  return { user: text.slice(0, colon), password: text.slice(colon + 1) }
}
