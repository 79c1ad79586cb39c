import { describe, expect, it } from 'vitest'
import { useCleanup } from '../helpers/cleanup.js'
import { connectClient } from '../helpers/mqtt.js'
import { bytes, connectPacket, RawClient, remainingLength, sleep, startBroker } from './raw-client.js'

const cleanup = useCleanup()

async function setup(mqtt: Record<string, unknown> = {}) {
  const b = await startBroker(mqtt)
  cleanup.push(() => b.broker.stop())
  const open = async () => {
    const raw = await RawClient.open(b.port)
    cleanup.push(() => raw.close())
    return raw
  }
  return { ...b, open }
}

/** CONNECT with a hand-set protocol level and connect-flags byte (mqtt-packet refuses to build bad ones). */
function handConnect(level: number, flags: number, clientId = 'c1', tail = Buffer.alloc(0)): Buffer {
  const id = Buffer.from(clientId)
  const body = Buffer.concat([
    Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, level, flags, 0, 30]),
    Buffer.from([id.length >> 8, id.length & 0xff]),
    id,
    tail,
  ])
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body])
}

describe('CONNECT checks (raw socket)', () => {
  it('protocol level other than 3/4 gets CONNACK 0x01, then the close [MQTT-3.1.2-2]', async () => {
    const { open, broker } = await setup()
    for (const level of [5, 2, 0x7f]) {
      const raw = await open()
      raw.send(handConnect(level, 0x02))
      await raw.waitClosed()
      expect(raw.received).toEqual(Buffer.from([0x20, 0x02, 0x00, 0x01]))
    }
    expect(broker.refusals.count('protocol_level')).toBe(3)
  })

  it('will QoS 3 or a password without username closes without CONNACK [MQTT-3.1.2-14, -22]', async () => {
    const { open, broker } = await setup()
    const willQos3 = await open()
    willQos3.send(handConnect(4, 0x02 | 0x04 | 0x18))
    await willQos3.waitClosed()
    expect(willQos3.received.length).toBe(0)
    const passwordOnly = await open()
    passwordOnly.send(handConnect(4, 0x02 | 0x40, 'c2', Buffer.from([0, 2, 0x61, 0x62])))
    await passwordOnly.waitClosed()
    expect(passwordOnly.received.length).toBe(0)
    expect(broker.refusals.count('connect_flags')).toBe(2)
  })

  it('empty client id: clean 0 → CONNACK 0x02; clean 1 → accepted with an assigned id [MQTT-3.1.3-8]', async () => {
    const { open, broker } = await setup()
    const persistent = await open()
    persistent.send(handConnect(4, 0x00, ''))
    await persistent.waitClosed()
    expect(persistent.received).toEqual(Buffer.from([0x20, 0x02, 0x00, 0x02]))
    const clean = await open()
    expect(await clean.handshake({ clientId: '', clean: true })).toEqual(
      Buffer.from([0x20, 0x02, 0x00, 0x00]),
    )
    await sleep(20)
    const ids = Object.keys((broker.instance as unknown as { clients: Record<string, unknown> }).clients)
    expect(ids).toHaveLength(1)
    expect(ids[0]?.length).toBeGreaterThan(0)
    expect(clean.closed).toBe(false)
  })

  it('a client that never sends CONNECT is dropped after connectTimeout', async () => {
    const { open, broker } = await setup({ connectTimeout: '300ms' })
    const silent = await open()
    const t0 = Date.now()
    await silent.waitClosed(3000)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250)
    expect(silent.received.length).toBe(0)
    expect(broker.refusals.count('connect_timeout')).toBe(1)
  })

  it('a first packet that is not CONNECT closes the connection [MQTT-3.1.0-1]', async () => {
    const { open, broker } = await setup()
    const raw = await open()
    raw.send(bytes({ cmd: 'pingreq' }))
    await raw.waitClosed()
    expect(raw.received.length).toBe(0)
    expect(broker.refusals.count('not_connected')).toBe(1)
  })

  it('keepalive above keepaliveMax gets CONNACK 0x02', async () => {
    const { open, broker } = await setup({ keepaliveMax: 60 })
    const raw = await open()
    raw.send(connectPacket({ keepalive: 61 }))
    await raw.waitClosed()
    expect(raw.received).toEqual(Buffer.from([0x20, 0x02, 0x00, 0x02]))
    expect(broker.refusals.count('keepalive')).toBe(1)
  })

  it('connections beyond maxConnections are closed at once and counted; others stay', async () => {
    const { open, broker } = await setup({ maxConnections: 2 })
    const first = await open()
    const second = await open()
    const third = await open()
    await third.waitClosed()
    expect(broker.refusals.count('max_connections')).toBe(1)
    expect(await first.handshake({ clientId: 'one' })).toEqual(Buffer.from([0x20, 0x02, 0x00, 0x00]))
    expect(second.closed).toBe(false)
  })

  it('keepalive 0 is refused when keepaliveMin is set', async () => {
    const { open, broker } = await setup({ keepaliveMin: 10 })
    const raw = await open()
    raw.send(connectPacket({ keepalive: 0 }))
    await raw.waitClosed()
    expect(raw.received).toEqual(Buffer.from([0x20, 0x02, 0x00, 0x02]))
    const ok = await open()
    expect(await ok.handshake({ keepalive: 10 })).toEqual(Buffer.from([0x20, 0x02, 0x00, 0x00]))
    expect(broker.refusals.count('keepalive')).toBe(1)
  })

  it('failed authentication never publishes the will', async () => {
    const { url, open, broker } = await setup({
      auth: {
        anonymous: 'loopback',
        users: [
          { username: 'dev-1', passwordHash: '$scrypt$N=1024,r=8,p=1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==' },
        ],
      },
    })
    const watcher = await connectClient(url)
    cleanup.push(() => watcher.endAsync())
    const wills: string[] = []
    watcher.on('message', (topic) => wills.push(topic))
    await watcher.subscribeAsync('#', { qos: 0 })
    const raw = await open()
    raw.send(
      connectPacket({
        clientId: 'will-1',
        username: 'dev-1',
        password: Buffer.from('wrong'),
        will: { topic: 'devices/dev-1/status', payload: Buffer.from('offline'), qos: 0, retain: false },
      }),
    )
    await raw.waitClosed()
    expect(raw.received).toEqual(Buffer.from([0x20, 0x02, 0x00, 0x04]))
    await sleep(100)
    expect(wills).toEqual([])
    expect(broker.refusals.count('auth_failed')).toBe(1)
  })
})
