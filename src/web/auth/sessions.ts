import { randomBytes } from 'node:crypto'

/** One logged-in browser: who, with which role, and the token its POSTs must echo (CSRF). */
export interface Session {
  id: string
  user: string
  role: string
  csrf: string
  expires: number
}

/** Oldest sessions are forgotten beyond this, so a login loop cannot grow memory without bound. */
const MAX_SESSIONS = 1000

/**
 * Login sessions of the status page, in memory: a restart logs everyone out, which is fine for an
 * operator page. Sessions slide: each use extends them by `ttlMs`.
 */
export class SessionStore {
  private readonly sessions = new Map<string, Session>()

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  create(user: string, role: string): Session {
    const session: Session = {
      id: randomBytes(24).toString('base64url'),
      user,
      role,
      csrf: randomBytes(24).toString('base64url'),
      expires: this.now() + this.ttlMs,
    }
    this.sessions.set(session.id, session)
    if (this.sessions.size > MAX_SESSIONS) {
      const oldest = this.sessions.keys().next().value
      if (oldest !== undefined) this.sessions.delete(oldest)
    }
    return session
  }

  /** The live session of this id (extended), or null when unknown or expired. */
  get(id: string): Session | null {
    const s = this.sessions.get(id)
    if (!s) return null
    const t = this.now()
    if (s.expires <= t) {
      this.sessions.delete(id)
      return null
    }
    s.expires = t + this.ttlMs
    return s
  }

  delete(id: string): void {
    this.sessions.delete(id)
  }
}
