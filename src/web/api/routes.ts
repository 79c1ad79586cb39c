import type { IncomingMessage, ServerResponse } from 'node:http'
import type { CommandDispatcher } from '../../core/command.js'
import type { Catalog } from '../../devices/catalog.js'
import { csrfProblem } from '../auth/csrf.js'
import { type Principal, SESSION_COOKIE, type WebAccess } from '../auth/web-access.js'
import type { Features } from '../features.js'
import type { StatusModel } from '../status-model.js'
import type { DeviceHistorySource } from './device-history.js'
import { HttpError, readJsonObject, sendJson, stringField } from './http-io.js'
import type { SseHub } from './sse-hub.js'

export interface ApiDeps {
  access: WebAccess
  model: StatusModel
  features: Features
  history: DeviceHistorySource
  hub: SseHub
  catalog: Catalog
  /** Read at call time: the devices feature installs the acking dispatcher. */
  commands: () => CommandDispatcher
  sessionTtlMs: number
}

type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
  who: Principal,
  params: string[],
) => Promise<void> | void

interface Route {
  method: 'GET' | 'POST'
  pattern: RegExp
  /** POSTs that change something need a role that may act. */
  act?: boolean
  handler: Handler
}

/**
 * The JSON API behind the status page (docs/status-page.md), also for scripts: GET views, POST actions
 * (CSRF-checked), the SSE stream, login and logout. Returns false for paths outside /api/.
 */
export function apiHandler(deps: ApiDeps): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const routes = apiRoutes(deps)
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    if (!url.pathname.startsWith('/api/')) return false
    try {
      if (url.pathname === '/api/login' && req.method === 'POST') await login(deps, req, res)
      else if (url.pathname === '/api/logout' && req.method === 'POST') logout(deps, req, res)
      else await dispatch(deps, routes, req, res, url)
    } catch (err) {
      const status = err instanceof HttpError ? err.status : 500
      if (!res.headersSent) sendJson(res, status, { error: (err as Error).message })
      else res.end()
    }
    return true
  }
}

async function dispatch(deps: ApiDeps, routes: Route[], req: IncomingMessage, res: ServerResponse, url: URL) {
  const method = req.method === 'HEAD' ? 'GET' : req.method
  let params: string[] | null = null
  const route = routes.find((r) => {
    if (r.method !== method) return false
    const m = r.pattern.exec(url.pathname)
    params = m ? m.slice(1).map(decodeURIComponent) : null
    return m !== null
  })
  if (!route || params === null) throw new HttpError(404, `no ${req.method} ${url.pathname}`)
  const id = await deps.access.identify(req)
  if (id.kind === 'rate_limited')
    throw new HttpError(429, 'too many failed logins from this address; wait a minute')
  if (id.kind === 'login_required' || id.kind === 'bad_credentials') {
    // The page sends x-tidegate-page and shows its own form; scripts get the Basic challenge.
    const challenge: Record<string, string> = req.headers['x-tidegate-page']
      ? {}
      : { 'www-authenticate': 'Basic realm="tidegate", charset="UTF-8"' }
    sendJson(
      res,
      401,
      { error: id.kind === 'login_required' ? 'login required' : 'bad user name or password' },
      challenge,
    )
    return
  }
  if (id.kind === 'forbidden')
    throw new HttpError(403, `role ${id.principal.role} may not view the status page`)
  const who = id.principal
  if (route.method === 'POST') {
    const problem = csrfProblem(req, who)
    if (problem) throw new HttpError(403, `refused (CSRF check): ${problem}`)
    if (route.act && !who.canAct) throw new HttpError(403, `role ${who.role} may not act; operator needed`)
  }
  await route.handler(req, res, who, params)
}

async function login(deps: ApiDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const problem = csrfProblem(req, null)
  if (problem) throw new HttpError(403, `refused (CSRF check): ${problem}`)
  const body = await readJsonObject(req)
  const result = await deps.access.login(
    stringField(body, 'username'),
    typeof body.password === 'string' ? body.password : '',
    req.socket.remoteAddress ?? '',
  )
  if (result.kind === 'rate_limited')
    throw new HttpError(429, 'too many failed logins from this address; wait a minute')
  if (result.kind === 'forbidden')
    throw new HttpError(403, `role ${result.principal.role} may not view the status page`)
  if (result.kind !== 'ok') throw new HttpError(401, 'bad user name or password')
  const s = result.session
  const secure = req.headers['x-forwarded-proto'] === 'https' ? '; Secure' : ''
  const cookie = `${SESSION_COOKIE}=${s.id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.floor(deps.sessionTtlMs / 1000)}${secure}`
  sendJson(
    res,
    200,
    { user: s.user, role: s.role, canAct: deps.access.canAct(s.role), csrf: s.csrf },
    { 'set-cookie': cookie },
  )
}

function logout(deps: ApiDeps, req: IncomingMessage, res: ServerResponse): void {
  const problem = csrfProblem(req, null)
  if (problem) throw new HttpError(403, `refused (CSRF check): ${problem}`)
  const id = /(?:^|;\s*)tidegate_session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1]
  if (id) deps.access.sessions.delete(decodeURIComponent(id))
  sendJson(
    res,
    200,
    { ok: true },
    { 'set-cookie': `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0` },
  )
}

function apiRoutes(deps: ApiDeps): Route[] {
  const { model, features } = deps
  const get = (pattern: RegExp, handler: Handler): Route => ({ method: 'GET', pattern, handler })
  return [
    get(/^\/api\/session$/, (_q, res, who) =>
      sendJson(res, 200, {
        user: who.user,
        role: who.role,
        via: who.via,
        canAct: who.canAct,
        csrf: who.session?.csrf ?? null,
      }),
    ),
    get(/^\/api\/overview$/, (_q, res) =>
      sendJson(res, 200, { ...model.overview(), history: model.history() }),
    ),
    get(/^\/api\/devices$/, (req, res) => {
      const q = new URL(req.url ?? '/', 'http://x').searchParams.get('q') ?? ''
      sendJson(res, 200, { devices: model.deviceRows(q) })
    }),
    get(/^\/api\/devices\/([^/]+)$/, (_q, res, _w, [id]) => {
      const row = model.deviceRow(id as string)
      if (!row) throw new HttpError(404, `no device "${id}" (not registered and never seen)`)
      const type = row.type ? deps.catalog.types.get(row.type) : undefined
      const commands = Object.entries(type?.definition.commands ?? {}).map(([name, c]) => ({
        name,
        description: (c as { description?: string }).description ?? '',
        params: (c as { params?: unknown }).params ?? {},
      }))
      sendJson(res, 200, { device: row, commands })
    }),
    get(/^\/api\/devices\/([^/]+)\/history$/, async (_q, res, _w, [id]) => {
      const row = model.deviceRow(id as string)
      if (!row) throw new HttpError(404, `no device "${id}" (not registered and never seen)`)
      const measurement = row.type ? (deps.catalog.types.get(row.type)?.measurement ?? null) : null
      const memory = () => model.devices.samples(id as string)
      sendJson(res, 200, await deps.history.history(id as string, measurement, memory))
    }),
    get(/^\/api\/alerts$/, (_q, res) =>
      sendJson(res, 200, { now: model.alerts.now(), recent: model.alerts.recent.latest() }),
    ),
    {
      method: 'POST',
      pattern: /^\/api\/alerts\/ack$/,
      act: true,
      handler: async (req, res, who) => {
        const body = await readJsonObject(req)
        const rules = features.rules
        if (!rules) throw new HttpError(409, 'the rules feature is not running')
        const result = rules.acknowledge(
          stringField(body, 'rule'),
          typeof body.key === 'string' ? body.key : '',
          who.user,
        )
        if (!result.ok) throw new HttpError(409, `cannot acknowledge: ${result.reason}`)
        sendJson(res, 200, { ok: true })
      },
    },
    get(/^\/api\/rules$/, (_q, res) =>
      sendJson(
        res,
        200,
        features.rules?.status() ?? { rules: [], loadedAt: 0, errors: [], note: 'rules feature not running' },
      ),
    ),
    get(/^\/api\/deadletters$/, (_q, res) => sendJson(res, 200, { deadLetters: model.deadLetterRows() })),
    get(/^\/api\/commands$/, (_q, res) =>
      sendJson(res, 200, { pending: model.commands.pending(), recent: model.commands.recent() }),
    ),
    {
      method: 'POST',
      pattern: /^\/api\/commands$/,
      act: true,
      handler: async (req, res, who) => {
        const body = await readJsonObject(req)
        const params = body.params ?? {}
        if (typeof params !== 'object' || params === null || Array.isArray(params))
          throw new HttpError(400, '"params" must be a JSON object')
        const result = deps.commands().send({
          device: stringField(body, 'device'),
          name: stringField(body, 'name'),
          params: params as Record<string, unknown>,
          source: `web:${who.user}`,
        })
        if (!result.accepted)
          sendJson(res, 422, { accepted: false, id: result.id ?? null, reason: result.reason })
        else sendJson(res, 202, { accepted: true, id: result.id })
      },
    },
    get(/^\/api\/events$/, (req, res) =>
      deps.hub.open(req, res, { overview: { ...model.overview(), history: model.history() } }),
    ),
  ]
}
