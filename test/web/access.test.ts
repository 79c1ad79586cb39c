import { describe, expect, it } from 'vitest'
import { useCleanup } from '../helpers/cleanup.js'
import { basic, startWebGateway } from './web-gateway.js'

const cleanup = useCleanup()

async function gateway(auth: Record<string, unknown> = {}, http?: { host: string; port: number }) {
  const g = await startWebGateway(auth, http)
  cleanup.push(() => g.gateway.stop())
  return g
}

const json = { 'content-type': 'application/json' }
const body = async (r: Response) => (await r.json()) as Record<string, string>

describe('status page access (API level)', () => {
  it('loopback without credentials when mqtt.auth.anonymous is loopback; the page and its bundle are served', async () => {
    const { base } = await gateway()
    const session = await fetch(`${base}/api/session`)
    expect(session.status).toBe(200)
    expect(await body(session)).toMatchObject({
      user: 'anonymous',
      role: 'anonymous',
      via: 'loopback',
      canAct: true,
    })
    const page = await fetch(`${base}/`)
    expect(page.headers.get('content-type')).toContain('text/html')
    expect(await page.text()).toContain('<script src="/app.js">')
    const js = await fetch(`${base}/app.js`)
    expect(js.status).toBe(200)
    expect(js.headers.get('content-encoding')).toBe('gzip')
  })

  it('anonymous never: 401 with a Basic challenge; Basic over the scrypt hashes; a device user is refused', async () => {
    const { base } = await gateway({ anonymous: 'never' })
    const none = await fetch(`${base}/api/overview`)
    expect(none.status).toBe(401)
    expect(none.headers.get('www-authenticate')).toContain('Basic')
    // The page asks without a challenge, so the browser shows the page's form instead of its own dialog.
    const page = await fetch(`${base}/api/overview`, { headers: { 'x-tidegate-page': '1' } })
    expect(page.headers.get('www-authenticate')).toBeNull()
    expect(
      (await fetch(`${base}/api/overview`, { headers: { authorization: basic('vera', 'view-pass') } }))
        .status,
    ).toBe(200)
    expect(
      (await fetch(`${base}/api/overview`, { headers: { authorization: basic('vera', 'wrong') } })).status,
    ).toBe(401)
    const device = await fetch(`${base}/api/overview`, {
      headers: { authorization: basic('sensor-1', 'dev-pass') },
    })
    expect(device.status).toBe(403)
    expect((await body(device)).error).toContain('role device may not view')
    const login = await fetch(`${base}/api/login`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ username: 'sensor-1', password: 'dev-pass' }),
    })
    expect(login.status).toBe(403)
  })

  it('a non-loopback client must log in even when anonymous is loopback (listener on a real interface)', async () => {
    const { networkInterfaces } = await import('node:os')
    const address = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal)?.address
    if (!address) return // no non-loopback interface on this machine
    const { base } = await gateway({}, { host: address, port: 0 })
    expect(base).toContain(address)
    const res = await fetch(`${base}/api/session`)
    expect(res.status).toBe(401)
    expect(
      (await fetch(`${base}/api/session`, { headers: { authorization: basic('olga', 'op-pass') } })).status,
    ).toBe(200)
  })

  it('login form: session cookie (HttpOnly, SameSite=Strict); POSTs need JSON, same origin and the CSRF token', async () => {
    const { base } = await gateway({ anonymous: 'never' })
    const bad = await fetch(`${base}/api/login`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ username: 'olga', password: 'x' }),
    })
    expect(bad.status).toBe(401)
    const login = await fetch(`${base}/api/login`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ username: 'olga', password: 'op-pass' }),
    })
    expect(login.status).toBe(200)
    const setCookie = login.headers.get('set-cookie') ?? ''
    expect(setCookie).toMatch(/tidegate_session=[^;]+; HttpOnly; SameSite=Strict; Path=\//)
    const { csrf, canAct } = (await login.json()) as { csrf: string; canAct: boolean }
    expect(canAct).toBe(true)
    const cookie = setCookie.split(';')[0] as string
    expect((await fetch(`${base}/api/session`, { headers: { cookie } })).status).toBe(200)
    const send = (
      headers: Record<string, string>,
      body = JSON.stringify({ device: 'north-fan', name: 'set', params: { on: true } }),
    ) => fetch(`${base}/api/commands`, { method: 'POST', headers: { cookie, ...headers }, body })
    const noToken = await send(json)
    expect(noToken.status).toBe(403)
    expect((await body(noToken)).error).toContain('x-csrf-token')
    const form = await send(
      { 'content-type': 'application/x-www-form-urlencoded', 'x-csrf-token': csrf },
      'device=north-fan',
    )
    expect((await body(form)).error).toContain('application/json')
    const crossSite = await send({ ...json, 'x-csrf-token': csrf, origin: 'http://evil.example' })
    expect(crossSite.status).toBe(403)
    expect((await body(crossSite)).error).toContain('not this site')
    const fetchSite = await send({ ...json, 'x-csrf-token': csrf, 'sec-fetch-site': 'cross-site' })
    expect(fetchSite.status).toBe(403)
    // Same origin with the token: through to the dispatcher (which refuses: the fan is offline).
    const ok = await send({ ...json, 'x-csrf-token': csrf, origin: base })
    expect(ok.status).toBe(422)
    expect((await body(ok)).reason).toContain('offline')
    const out = await fetch(`${base}/api/logout`, { method: 'POST', headers: { ...json, cookie } })
    expect(out.status).toBe(200)
    expect((await fetch(`${base}/api/session`, { headers: { cookie } })).status).toBe(401)
  })

  it('viewing needs any role but device; acting needs operator', async () => {
    const { base } = await gateway({ anonymous: 'never' })
    const viewer = { authorization: basic('vera', 'view-pass'), ...json }
    expect((await fetch(`${base}/api/alerts`, { headers: viewer })).status).toBe(200)
    const ack = await fetch(`${base}/api/alerts/ack`, {
      method: 'POST',
      headers: viewer,
      body: JSON.stringify({ rule: 'too-hot', key: 'x' }),
    })
    expect(ack.status).toBe(403)
    expect((await body(ack)).error).toContain('operator needed')
    const op = { authorization: basic('olga', 'op-pass'), ...json }
    const notFiring = await fetch(`${base}/api/alerts/ack`, {
      method: 'POST',
      headers: op,
      body: JSON.stringify({ rule: 'too-hot', key: 'x' }),
    })
    expect(notFiring.status).toBe(409)
    expect((await body(notFiring)).error).toBe('cannot acknowledge: not firing')
  })

  it('failed logins are limited per address like the broker', async () => {
    const { base } = await gateway({ anonymous: 'never', failedLoginsPerMinute: 2 })
    for (let i = 0; i < 2; i++)
      expect(
        (await fetch(`${base}/api/session`, { headers: { authorization: basic('olga', `bad${i}`) } })).status,
      ).toBe(401)
    const limited = await fetch(`${base}/api/session`, {
      headers: { authorization: basic('olga', 'op-pass') },
    })
    expect(limited.status).toBe(429)
  })
})
