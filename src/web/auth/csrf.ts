import type { IncomingMessage } from 'node:http'
import type { Principal } from './web-access.js'

/**
 * Why a state-changing request (POST) must be refused, or null when it may go on. A cross-site page can
 * make a browser POST with its cookies (or cached Basic credentials, or from loopback), so:
 * - the body must be JSON: a cross-site form cannot send `application/json` without a CORS preflight,
 *   which this server never grants;
 * - when the browser says where the request comes from (`Origin`, `Sec-Fetch-Site`), it must be this site;
 * - a cookie session must also echo its CSRF token in `x-csrf-token` (the cookie is SameSite=Strict too).
 * Scripts (curl with Basic) send JSON and no Origin, and need no token.
 */
export function csrfProblem(req: IncomingMessage, principal: Principal | null): string | null {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase()
  if (type !== 'application/json') return 'the request body must be application/json'
  const site = req.headers['sec-fetch-site']
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `cross-site request (${site})`
  const origin = req.headers.origin
  if (origin !== undefined && origin !== 'null') {
    const host = req.headers['x-forwarded-host'] ?? req.headers.host
    let originHost = ''
    try {
      originHost = new URL(origin).host
    } catch {
      return `malformed Origin ${origin}`
    }
    if (originHost !== host) return `Origin ${origin} is not this site (${host})`
  } else if (origin === 'null') return 'opaque Origin'
  if (principal?.via === 'session' && req.headers['x-csrf-token'] !== principal.session?.csrf)
    return 'missing or wrong x-csrf-token'
  return null
}
