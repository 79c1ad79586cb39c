import { describe, expect, it } from 'vitest'
import { useCleanup } from '../helpers/cleanup.js'
import { collect, connectClient } from '../helpers/mqtt.js'
import { bytes, connectPacket, RawClient, rawPublish, sleep, startBroker } from './raw-client.js'

const cleanup = useCleanup()

async function setup(mqtt: Record<string, unknown> = {}) {
  const b = await startBroker(mqtt)
  cleanup.push(() => b.broker.stop())
  const watcher = await connectClient(b.url)
  cleanup.push(() => watcher.endAsync())
  const seen = await collect(watcher, '#')
  const open = async (clientId = 'raw') => {
    const raw = await RawClient.open(b.port)
    cleanup.push(() => raw.close())
    expect(await raw.handshake({ clientId })).toEqual(Buffer.from([0x20, 0x02, 0x00, 0x00]))
    raw.received = Buffer.alloc(0)
    return raw
  }
  return { ...b, open, seen }
}

describe('PUBLISH / SUBSCRIBE checks (raw socket)', () => {
  const badPublishes: [string, Buffer, string][] = [
    [
      'QoS 1 with packet id 0',
      rawPublish(Buffer.from('devices/a/telemetry'), Buffer.from('x'), 1, 0),
      'packet_id_zero',
    ],
    [
      'U+0000 in the topic',
      rawPublish(Buffer.from('devices/a\u0000/telemetry'), Buffer.from('x')),
      'topic_invalid',
    ],
    [
      'a lone surrogate (CESU bytes ED A0 80)',
      rawPublish(Buffer.from([0x61, 0xed, 0xa0, 0x80]), Buffer.from('x')),
      'topic_invalid',
    ],
    [
      '+ in a publish topic',
      rawPublish(Buffer.from('devices/+/telemetry'), Buffer.from('x')),
      'topic_wildcard',
    ],
    ['# in a publish topic', rawPublish(Buffer.from('devices/#'), Buffer.from('x')), 'topic_wildcard'],
    [
      'too many levels',
      rawPublish(Buffer.from(Array(40).fill('a').join('/')), Buffer.from('x')),
      'topic_levels',
    ],
    ['QoS 3', Buffer.from([0x36, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01]), 'malformed'],
  ]
  for (const [name, packet, reason] of badPublishes) {
    it(`${name} → disconnect, nothing forwarded, counted as ${reason}`, async () => {
      const { open, broker, seen } = await setup()
      const raw = await open()
      raw.send(packet)
      await raw.waitClosed()
      expect(raw.received.length).toBe(0)
      await sleep(50)
      expect(seen.messages).toEqual([])
      expect(broker.refusals.count(reason as never)).toBe(1)
    })
  }

  /** A hand-built SUBSCRIBE: fixed-header flags, packet id and one raw filter with its QoS byte. */
  const rawSubscribe = (flags: number, id: number, filter: Buffer, qos = 0) => {
    const body = Buffer.concat([
      Buffer.from([id >> 8, id & 0xff, filter.length >> 8, filter.length & 0xff]),
      filter,
      Buffer.from([qos]),
    ])
    return Buffer.concat([Buffer.from([0x80 | flags, body.length]), body])
  }
  const badSubscribes: [string, Buffer, string][] = [
    ['fixed-header flags 0000 [MQTT-3.8.1-1]', rawSubscribe(0, 1, Buffer.from('a/b')), 'malformed'],
    ['packet id 0', rawSubscribe(2, 0, Buffer.from('a/b')), 'packet_id_zero'],
    ['U+0000 in the filter', rawSubscribe(2, 1, Buffer.from('a/\u0000')), 'topic_invalid'],
    ['requested QoS 3 [MQTT-3.8.3-4]', rawSubscribe(2, 1, Buffer.from('a/b'), 3), 'malformed'],
    [
      'too many filter levels',
      rawSubscribe(2, 1, Buffer.from(Array(40).fill('+').join('/'))),
      'topic_levels',
    ],
  ]
  for (const [name, packet, reason] of badSubscribes) {
    it(`SUBSCRIBE with ${name} → disconnect without SUBACK, counted as ${reason}`, async () => {
      const { open, broker } = await setup()
      const raw = await open()
      raw.send(packet)
      await raw.waitClosed()
      expect(raw.received.length).toBe(0)
      expect(broker.refusals.count(reason as never)).toBe(1)
    })
  }

  it('a valid publish after the checks still flows, and __proto__ is an ordinary id and topic', async () => {
    const { open, seen } = await setup()
    const raw = await open('__proto__')
    raw.send(rawPublish(Buffer.from('__proto__/constructor'), Buffer.from('ok'), 1, 7))
    const ack = await raw.waitBytes(4)
    expect(ack.subarray(0, 4)).toEqual(Buffer.from([0x40, 0x02, 0x00, 0x07]))
    await seen.next(1)
    expect(seen.messages[0]?.topic).toBe('__proto__/constructor')
    expect(raw.closed).toBe(false)
  })

  it('packets split into single bytes, and many packets in one write, pass the guard intact', async () => {
    const { port, seen } = await setup()
    const raw = await RawClient.open(port)
    cleanup.push(() => raw.close())
    const stream = Buffer.concat([
      connectPacket({ clientId: 'bytewise' }),
      rawPublish(Buffer.from('split/a'), Buffer.from('one'), 1, 1),
      rawPublish(Buffer.from('split/b'), Buffer.alloc(3000, 0x42), 0),
    ])
    for (const byte of stream) {
      raw.send(Buffer.from([byte]))
      await new Promise((r) => setImmediate(r))
    }
    const burst = Buffer.concat(
      Array.from({ length: 50 }, (_, i) => rawPublish(Buffer.from('split/c'), Buffer.from(String(i)))),
    )
    raw.send(burst)
    await seen.next(52)
    // split/a is QoS 1: it is forwarded once durable in the outbox, so QoS 0 messages on other topics may
    // overtake it (no order is owed between topics). Within a topic the order holds (split/c below).
    expect(seen.messages.filter((m) => m.topic === 'split/a').map((m) => m.payload.toString())).toEqual([
      'one',
    ])
    expect(seen.messages.filter((m) => m.topic === 'split/b').map((m) => m.payload.length)).toEqual([3000])
    expect(seen.messages.filter((m) => m.topic === 'split/c').map((m) => m.payload.toString())).toEqual(
      Array.from({ length: 50 }, (_, i) => String(i)),
    )
  })

  it('with onExceed: drop QoS 0 publishes over the rate reach no client, internal subscriber or retained store', async () => {
    const { open, broker, seen, url } = await setup({
      publishRate: { perSecond: 1, burst: 3, onExceed: 'drop' },
    })
    const internal: string[] = []
    await new Promise<void>((resolve) =>
      broker.instance.subscribe(
        'devices/#',
        (packet, cb) => {
          internal.push(packet.topic)
          cb()
        },
        () => resolve(),
      ),
    )
    const raw = await open()
    for (let id = 1; id <= 10; id++)
      raw.send(rawPublish(Buffer.from('devices/r/telemetry'), Buffer.from(`${id}`), 0))
    // The three within the burst arrive (however loaded the machine); then nothing more may follow.
    await seen.next(3)
    await sleep(100)
    expect(seen.messages.map((m) => m.payload.toString())).toEqual(['1', '2', '3'])
    expect(internal).toEqual(['devices/r/telemetry', 'devices/r/telemetry', 'devices/r/telemetry'])
    expect(broker.refusals.count('rate_limited')).toBe(7)
    expect(raw.closed).toBe(false)
    const late = await connectClient(url)
    cleanup.push(() => late.endAsync())
    const retained = await collect(late, '#')
    await sleep(50)
    expect(retained.messages).toEqual([])
  })

  it('with onExceed: disconnect a client over the publish rate is disconnected (counted)', async () => {
    const { open, broker, seen } = await setup({
      publishRate: { perSecond: 1, burst: 2, onExceed: 'disconnect' },
    })
    const raw = await open()
    for (let id = 1; id <= 5; id++) raw.send(rawPublish(Buffer.from('fast/x'), Buffer.from(`${id}`), 0))
    await raw.waitClosed()
    expect(broker.refusals.count('rate_limited')).toBeGreaterThanOrEqual(1)
    await sleep(50)
    expect(seen.messages.map((m) => m.payload.toString())).toEqual(['1', '2'])
  })

  it('publishing to $SYS/# is denied (disconnect, counted)', async () => {
    const { open, broker } = await setup()
    const raw = await open()
    raw.send(rawPublish(Buffer.from('$SYS/broker/fake'), Buffer.from('x')))
    await raw.waitClosed()
    expect(broker.refusals.count('reserved_topic')).toBe(1)
  })

  it('a denied subscription answers SUBACK 0x80 and keeps the connection', async () => {
    const { port, broker } = await startBroker({ auth: { anonymous: 'loopback', anonymousRole: 'device' } })
    cleanup.push(() => broker.stop())
    const raw = await RawClient.open(port)
    cleanup.push(() => raw.close())
    // An anonymous client with the device role has no username, so %u never expands: nothing is granted.
    await raw.handshake({ clientId: 'dev-9' })
    raw.received = Buffer.alloc(0)
    raw.send(bytes({ cmd: 'subscribe', messageId: 5, subscriptions: [{ topic: 'alerts/#', qos: 1 }] }))
    const suback = await raw.waitBytes(5)
    expect(suback).toEqual(Buffer.from([0x90, 0x03, 0x00, 0x05, 0x80]))
    expect(raw.closed).toBe(false)
    expect(broker.refusals.count('acl_subscribe')).toBe(1)
  })

  it('a QoS 2 flood that never sends PUBREL is cut at the in-flight cap', async () => {
    const { open, broker, seen } = await setup({ maxInflightQos2: 10 })
    const raw = await open()
    for (let id = 1; id <= 50; id++) raw.send(rawPublish(Buffer.from('flood/q2'), Buffer.from('x'), 2, id))
    await raw.waitClosed()
    // 10 PUBRECs (4 bytes each) at most, then the close.
    expect(raw.received.length).toBeLessThanOrEqual(40)
    for (let i = 0; i < raw.received.length; i += 4) expect(raw.received[i]).toBe(0x50)
    expect(broker.refusals.count('inflight_cap')).toBe(1)
    await sleep(50)
    expect(seen.messages.length).toBeLessThanOrEqual(10)
  })

  it('an oversize PUBLISH is refused on its header; a CONNECT header claiming 200 MB closes at once', async () => {
    const { open, broker, port } = await setup({ maxPacketBytes: 4096 })
    const raw = await open()
    raw.send(rawPublish(Buffer.from('big/one'), Buffer.alloc(5000, 1)))
    await raw.waitClosed()
    const fresh = await RawClient.open(port)
    cleanup.push(() => fresh.close())
    fresh.send(Buffer.from([0x10, 0xff, 0xff, 0xff, 0x5f]))
    await fresh.waitClosed()
    expect(fresh.received.length).toBe(0)
    expect(broker.refusals.count('packet_too_large')).toBe(2)
  })
})
