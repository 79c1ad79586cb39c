import { mkdtempSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hashPassword } from '../../src/broker/passwords.js'
import { startTestGateway } from '../helpers/gateway.js'

/** A rule that fires at once on a hot climate sensor and repeats every second while firing. */
export const HOT_RULE = `version: 1
id: too-hot
from: { type: climate-sensor }
when: "data.temperature > 30"
clear: "data.temperature < 28"
severity: critical
repeat: 1s
actions:
  - alert: { message: "{{device}} at {{data.temperature}}" }
`

/** Test users: cheap scrypt parameters (the format carries them), one per role the page cares about. */
export async function testUsers() {
  const params = { N: 1024, r: 8, p: 1 }
  return [
    { username: 'olga', passwordHash: await hashPassword('op-pass', params), role: 'operator' },
    { username: 'vera', passwordHash: await hashPassword('view-pass', params), role: 'viewer' },
    { username: 'sensor-1', passwordHash: await hashPassword('dev-pass', params), role: 'device' },
  ]
}

/** A gateway with the status page, a rules folder holding HOT_RULE, the test users and `auth` overrides. */
export async function startWebGateway(
  auth: Record<string, unknown> = {},
  http = { host: '127.0.0.1', port: 0 },
  influx: Record<string, unknown> = {},
) {
  const rules = mkdtempSync(join(tmpdir(), 'tidegate-web-rules-'))
  writeFileSync(join(rules, 'too-hot.yaml'), HOT_RULE)
  const started = await startTestGateway({
    rules,
    http,
    ...(Object.keys(influx).length ? { influx } : {}),
    mqtt: {
      auth: { users: await testUsers(), ...auth },
      acl: { roles: { viewer: { publish: [], subscribe: ['#'] } } },
    },
  })
  const { host, port } = started.gateway.http.address
  return { ...started, base: `http://${host}:${port}` }
}

export const basic = (user: string, pass: string) =>
  `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`

/** Reads Server-Sent Events from `url` until `until` returns true for one; returns that event's data. */
export function waitForEvent<T>(
  url: string,
  headers: Record<string, string>,
  until: (event: string, data: unknown) => T | undefined,
  timeoutMs = 5000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      let buffer = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        buffer += chunk
        let end = buffer.indexOf('\n\n')
        while (end >= 0) {
          const frame = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const event = /^event: (.*)$/m.exec(frame)?.[1]
          const data = /^data: (.*)$/m.exec(frame)?.[1]
          if (event && data) {
            const hit = until(event, JSON.parse(data))
            if (hit !== undefined) {
              clearTimeout(timer)
              req.destroy()
              resolve(hit)
              return
            }
          }
          end = buffer.indexOf('\n\n')
        }
      })
    })
    const timer = setTimeout(() => {
      req.destroy()
      reject(new Error(`no matching event on ${url} within ${timeoutMs} ms`))
    }, timeoutMs)
    req.on('error', () => {})
    req.end()
  })
}
