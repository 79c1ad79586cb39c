import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashPassword } from '../../src/broker/passwords.js'
import { useCleanup } from '../helpers/cleanup.js'
import { queryUntil, startTestGateway } from '../helpers/gateway.js'
import { collect, connectClient } from '../helpers/mqtt.js'

let dir = ''
const file = (name: string) => join(dir, name)
const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' })

/** A key and a certificate for `cn`, signed by the test CA (or self-signed when `selfSigned`). */
function issue(name: string, cn: string, selfSigned = false, san?: string) {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  if (selfSigned) {
    openssl(
      'req',
      '-x509',
      ...ec,
      '-keyout',
      file(`${name}.key`),
      '-out',
      file(`${name}.crt`),
      '-days',
      '1',
      '-subj',
      `/CN=${cn}`,
    )
    return
  }
  openssl('req', ...ec, '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`), '-subj', `/CN=${cn}`)
  const ext = file(`${name}.ext`)
  writeFileSync(ext, san ? `subjectAltName=${san}\n` : 'extendedKeyUsage=clientAuth\n')
  openssl(
    'x509',
    '-req',
    '-in',
    file(`${name}.csr`),
    '-CA',
    file('ca.crt'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-out',
    file(`${name}.crt`),
    '-days',
    '1',
    '-extfile',
    ext,
  )
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tidegate-tls-'))
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.crt'),
    '-days',
    '1',
    '-subj',
    '/CN=tidegate-test-ca',
  )
  issue('server', 'localhost', false, 'IP:127.0.0.1,DNS:localhost')
  issue('dev7', 'dev-7')
  issue('rogue', 'dev-7', true)
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const cleanup = useCleanup()

async function gateway(clientCert: 'optional' | 'required') {
  const g = await startTestGateway({
    mqtt: {
      listeners: [
        { host: '127.0.0.1', port: 0 },
        {
          type: 'tls',
          host: '127.0.0.1',
          port: 0,
          cert: file('server.crt'),
          key: file('server.key'),
          ca: file('ca.crt'),
          clientCert,
        },
        { type: 'ws', host: '127.0.0.1', port: 0, path: '/mqtt' },
      ],
      auth: {
        anonymous: 'never',
        users: [{ username: 'dev-1', passwordHash: await hashPassword('pw-1', { N: 1024, r: 8, p: 1 }) }],
      },
    },
  })
  cleanup.push(() => g.gateway.stop())
  const port = (type: string) => g.gateway.broker.listeners.find((l) => l.type === type)?.port ?? 0
  return { ...g, tlsUrl: `mqtts://127.0.0.1:${port('tls')}`, wsUrl: `ws://127.0.0.1:${port('ws')}/mqtt` }
}

const tlsOptions = (extra: mqtt.IClientOptions = {}): mqtt.IClientOptions => ({
  ca: readFileSync(file('ca.crt')),
  rejectUnauthorized: true,
  ...extra,
})

function connectOutcome(url: string, options: mqtt.IClientOptions): Promise<string> {
  const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 3000, ...options })
  return new Promise<string>((resolve) => {
    client.once('connect', () => resolve('connected'))
    client.once('error', (err) => resolve(`error: ${err.message}`))
    client.once('close', () => resolve('closed'))
  }).finally(() => client.end(true))
}

describe('TLS listener', () => {
  it('without a client certificate a device logs in with its password; its points arrive', async () => {
    const { tlsUrl, influx } = await gateway('optional')
    const dev = await connectClient(
      tlsUrl,
      tlsOptions({ username: 'dev-1', password: 'pw-1', clientId: 'dev-1' }),
    )
    cleanup.push(() => dev.endAsync())
    await dev.publishAsync('devices/dev-1/telemetry', '{"temperature":11}', { qos: 1 })
    const { rows } = await queryUntil(
      influx,
      "SELECT temperature FROM climate WHERE device='dev-1'",
      (r) => r.length === 1,
    )
    expect(rows).toHaveLength(1)
    expect(await connectOutcome(tlsUrl, tlsOptions({ clientId: 'anon' }))).toMatch(/Not authorized/i)
  })

  it('a client certificate authenticates as its CN: dev-7 writes devices/dev-7/... and nothing else', async () => {
    const { tlsUrl, influx, gateway: gw } = await gateway('optional')
    const certOptions = tlsOptions({
      cert: readFileSync(file('dev7.crt')),
      key: readFileSync(file('dev7.key')),
      clientId: 'any-id',
    })
    const dev7 = await connectClient(tlsUrl, certOptions)
    cleanup.push(() => dev7.end(true))
    await dev7.publishAsync('devices/dev-7/telemetry', '{"temperature":7}', { qos: 1 })
    const { rows } = await queryUntil(
      influx,
      "SELECT temperature FROM climate WHERE device='dev-7'",
      (r) => r.length === 1,
    )
    expect(rows).toHaveLength(1)
    const closed = new Promise<void>((resolve) => dev7.once('close', () => resolve()))
    dev7.publish('devices/dev-1/telemetry', '{"temperature":1}', { qos: 1 })
    await closed
    expect(gw.broker.refusals.count('acl_publish')).toBe(1)
  })

  it('a certificate not signed by the CA is refused and counted', async () => {
    const { tlsUrl, gateway: gw } = await gateway('optional')
    const outcome = await connectOutcome(
      tlsUrl,
      tlsOptions({ cert: readFileSync(file('rogue.crt')), key: readFileSync(file('rogue.key')) }),
    )
    expect(outcome).not.toBe('connected')
    expect(gw.broker.refusals.count('cert_rejected')).toBe(1)
  })

  it('clientCert: required refuses a client without a certificate; accepts one with', async () => {
    const { tlsUrl } = await gateway('required')
    expect(await connectOutcome(tlsUrl, tlsOptions({ username: 'dev-1', password: 'pw-1' }))).not.toBe(
      'connected',
    )
    const certOptions = tlsOptions({
      cert: readFileSync(file('dev7.crt')),
      key: readFileSync(file('dev7.key')),
    })
    expect(await connectOutcome(tlsUrl, certOptions)).toBe('connected')
  })
})

describe('WebSocket listener', () => {
  it('a browser-style client on ws:// receives alerts the gateway publishes', async () => {
    const { wsUrl, gateway: gw } = await startWsGateway()
    const browser = await connectClient(wsUrl, { clientId: 'dashboard' })
    cleanup.push(() => browser.endAsync())
    const alerts = await collect(browser, 'alerts/#')
    await gw.broker.publish('alerts/high-temp/dev-1', '{"state":"firing"}', { qos: 1 })
    await alerts.next(1)
    expect(alerts.messages[0]?.topic).toBe('alerts/high-temp/dev-1')
    expect(JSON.parse(alerts.messages[0]?.payload.toString() ?? '{}')).toEqual({ state: 'firing' })
  })

  it('an oversize packet over WebSocket closes that client only (counted); another keeps receiving', async () => {
    const { wsUrl, gateway: gw } = await startWsGateway({ maxPacketBytes: 4096 })
    const watcher = await connectClient(wsUrl, { clientId: 'watcher' })
    cleanup.push(() => watcher.endAsync())
    const alerts = await collect(watcher, 'alerts/#')
    const big = await connectClient(wsUrl, { clientId: 'big' })
    cleanup.push(() => big.end(true))
    const closed = new Promise<void>((resolve) => big.once('close', () => resolve()))
    big.publish('devices/big/telemetry', Buffer.alloc(10_000, 0x20))
    await closed
    expect(gw.broker.refusals.count('packet_too_large')).toBe(1)
    await gw.broker.publish('alerts/after', '{}')
    await alerts.next(1)
    expect(watcher.connected).toBe(true)
  })
})

/** TCP and WebSocket listeners; anonymous loopback clients allowed (the default). */
async function startWsGateway(mqtt: Record<string, unknown> = {}) {
  const g = await startTestGateway({
    mqtt: {
      ...mqtt,
      listeners: [
        { host: '127.0.0.1', port: 0 },
        { type: 'ws', host: '127.0.0.1', port: 0 },
      ],
    },
  })
  cleanup.push(() => g.gateway.stop())
  const port = g.gateway.broker.listeners.find((l) => l.type === 'ws')?.port ?? 0
  return { ...g, wsUrl: `ws://127.0.0.1:${port}/mqtt` }
}
