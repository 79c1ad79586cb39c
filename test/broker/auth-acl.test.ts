import mqtt from 'mqtt'
import { beforeAll, describe, expect, it } from 'vitest'
import { hashPassword } from '../../src/broker/passwords.js'
import { useCleanup } from '../helpers/cleanup.js'
import { queryUntil, startTestGateway } from '../helpers/gateway.js'
import { connectClient } from '../helpers/mqtt.js'

const cleanup = useCleanup()

// Cheap scrypt parameters keep the test fast; the hash format carries them, production uses the defaults.
const FAST = { N: 1024, r: 8, p: 1 }
let users: { username: string; passwordHash: string; role?: string }[] = []
beforeAll(async () => {
  users = [
    { username: 'dev-1', passwordHash: await hashPassword('pw-dev-1', FAST) },
    { username: 'dev-2', passwordHash: await hashPassword('pw-dev-2', FAST) },
    { username: 'grafana', passwordHash: await hashPassword('pw-op', FAST), role: 'operator' },
    { username: 'svc', passwordHash: await hashPassword('pw-svc', FAST), role: 'service' },
  ]
})

async function gatewayWith(auth: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  const g = await startTestGateway({
    mqtt: {
      listeners: [{ host: '127.0.0.1', port: 0 }],
      auth: { anonymous: 'never', users, ...auth },
      acl: { roles: { service: { publish: ['svc/%c/#'], subscribe: ['svc/%c/#'] } } },
      ...extra,
    },
  })
  cleanup.push(() => g.gateway.stop())
  return g
}

/** SUBACK return codes in request order; mqtt.js rejects a SUBACK with 0x80 but keeps the packet. */
async function subackCodes(
  client: mqtt.MqttClient,
  filters: Record<string, { qos: 0 | 1 | 2 }>,
): Promise<number[]> {
  try {
    const granted = await client.subscribeAsync(filters)
    return granted.map((g) => g.qos)
  } catch (err) {
    const packet = (err as { packet?: { granted?: number[] } }).packet
    if (!packet?.granted) throw err
    return packet.granted
  }
}

/** Connects and returns the CONNACK return code (0 = accepted); closes the client. */
async function connackCode(url: string, options: mqtt.IClientOptions): Promise<number> {
  const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options })
  try {
    return await new Promise<number>((resolve, reject) => {
      client.once('connect', (packet) => resolve(packet.returnCode ?? 0))
      client.once('error', (err) => {
        const code = (err as { code?: number }).code
        if (typeof code === 'number') resolve(code)
        else reject(err)
      })
    })
  } finally {
    client.end(true)
  }
}

describe('authentication', () => {
  it('a wrong password is refused with CONNACK 4 and counted; the right one connects', async () => {
    const { gateway, mqttUrl } = await gatewayWith()
    expect(await connackCode(mqttUrl, { username: 'dev-1', password: 'nope', clientId: 'a' })).toBe(4)
    expect(await connackCode(mqttUrl, { username: 'ghost', password: 'pw-dev-1', clientId: 'b' })).toBe(4)
    expect(await connackCode(mqttUrl, { username: 'dev-1', password: 'pw-dev-1', clientId: 'c' })).toBe(0)
    expect(gateway.broker.refusals.count('auth_failed')).toBe(2)
  })

  it('anonymous is refused when the config says never; allowed on loopback by default', async () => {
    const never = await gatewayWith()
    expect(await connackCode(never.mqttUrl, { clientId: 'anon' })).toBe(5)
    expect(never.gateway.broker.refusals.count('anonymous_denied')).toBe(1)
    const byDefault = await startTestGateway()
    cleanup.push(() => byDefault.gateway.stop())
    expect(await connackCode(byDefault.mqttUrl, { clientId: 'anon' })).toBe(0)
  })

  it('failed logins are rate-limited per address: past the limit even the right password is refused', async () => {
    const { gateway, mqttUrl } = await gatewayWith({ failedLoginsPerMinute: 3 })
    for (let i = 0; i < 3; i++)
      expect(await connackCode(mqttUrl, { username: 'dev-1', password: 'guess', clientId: `g${i}` })).toBe(4)
    expect(await connackCode(mqttUrl, { username: 'dev-1', password: 'pw-dev-1', clientId: 'late' })).toBe(5)
    expect(gateway.broker.refusals.count('auth_failed')).toBe(3)
    expect(gateway.broker.refusals.count('auth_rate_limited')).toBe(1)
  })
})

describe('ACL', () => {
  it('a device publishes under its own id; outside it is disconnected, counted, and nothing reaches InfluxDB', async () => {
    const { gateway, mqttUrl, influx } = await gatewayWith()
    const dev1 = await connectClient(mqttUrl, { username: 'dev-1', password: 'pw-dev-1', clientId: 'dev-1' })
    cleanup.push(() => dev1.end(true))
    await dev1.publishAsync('devices/dev-1/telemetry', '{"temperature":20}', { qos: 1 })
    const closed = new Promise<void>((resolve) => dev1.once('close', () => resolve()))
    dev1.publish('devices/dev-2/telemetry', '{"temperature":99}', { qos: 1 })
    await closed
    expect(gateway.broker.refusals.count('acl_publish')).toBe(1)
    const { rows } = await queryUntil(influx, 'SELECT device, temperature FROM climate', (r) => r.length >= 1)
    await new Promise((r) => setTimeout(r, 300))
    const again = await influx.query('SELECT device, temperature FROM climate')
    expect(rows.length).toBe(1)
    expect(again.results[0]?.series?.[0]?.values).toEqual([[expect.any(Number), 'dev-1', 20]])
  })

  it('a device subscribing outside devices/<id>/commands/# gets SUBACK 0x80 (counted); its own commands are granted', async () => {
    const { gateway, mqttUrl } = await gatewayWith()
    const dev1 = await connectClient(mqttUrl, { username: 'dev-1', password: 'pw-dev-1', clientId: 'dev-1' })
    cleanup.push(() => dev1.endAsync())
    const codes = await subackCodes(dev1, {
      'devices/dev-1/commands/#': { qos: 1 },
      'devices/dev-2/commands/#': { qos: 1 },
      '#': { qos: 0 },
    })
    expect(codes).toEqual([1, 128, 128])
    expect(gateway.broker.refusals.count('acl_subscribe')).toBe(2)
    expect(dev1.connected).toBe(true)
  })

  it('tidegate/# and alerts/# are written only by the gateway, even for operators', async () => {
    const { gateway, mqttUrl } = await gatewayWith()
    const op = await connectClient(mqttUrl, { username: 'grafana', password: 'pw-op', clientId: 'op' })
    cleanup.push(() => op.end(true))
    const got: string[] = []
    op.on('message', (topic) => got.push(topic))
    await op.subscribeAsync('alerts/#')
    await gateway.broker.publish('alerts/high-temp', '{"state":"firing"}')
    await new Promise((r) => setTimeout(r, 100))
    expect(got).toEqual(['alerts/high-temp'])
    const closed = new Promise<void>((resolve) => op.once('close', () => resolve()))
    op.publish('alerts/fake', 'x')
    await closed
    expect(gateway.broker.refusals.count('reserved_topic')).toBe(1)
  })

  it('a role pattern with %c grants the client its own subtree only', async () => {
    const { gateway, mqttUrl } = await gatewayWith()
    const svc = await connectClient(mqttUrl, { username: 'svc', password: 'pw-svc', clientId: 'svc-a' })
    cleanup.push(() => svc.end(true))
    expect(await subackCodes(svc, { 'svc/svc-a/#': { qos: 0 }, 'svc/svc-b/#': { qos: 0 } })).toEqual([0, 128])
    await svc.publishAsync('svc/svc-a/state', 'ok', { qos: 1 })
    const closed = new Promise<void>((resolve) => svc.once('close', () => resolve()))
    svc.publish('svc/svc-b/state', 'x', { qos: 1 })
    await closed
    expect(gateway.broker.refusals.count('acl_publish')).toBe(1)
  })
})
