import mqttPacket from 'mqtt-packet'
import { describe, expect, it } from 'vitest'
import { PIECE_BYTES } from '../../src/broker/bounded-reading.js'
import { useCleanup } from '../helpers/cleanup.js'
import { bytes, RawClient, rawPublish, sleep, startBroker, until } from './raw-client.js'

const cleanup = useCleanup()

interface Held {
  client: string
  payload: string
  goOn: () => void
}

/** A broker whose ingest holds every device publish until the test lets it go on (a gateway far behind). */
async function heldBroker(mqtt: Record<string, unknown> = {}) {
  const held: Held[] = []
  const b = await startBroker(mqtt, {
    authorizePublish: (client, packet, done) => {
      if (!client) return done(null)
      held.push({ client: client.id, payload: packet.payload.toString(), goOn: () => done(null) })
    },
  })
  cleanup.push(() => b.broker.stop())
  return { ...b, held }
}

async function connected(port: number, clientId: string): Promise<RawClient> {
  const raw = await RawClient.open(port)
  cleanup.push(() => raw.close())
  await raw.handshake({ clientId })
  return raw
}

const publishes = (client: string, n: number, padding = '') =>
  Array.from({ length: n }, (_, i) =>
    rawPublish(Buffer.from(`devices/${client}/telemetry`), Buffer.from(`${client}:${i}${padding}`)),
  )

/** Lets every held publish go on, round after round, until `total` went through; returns them and each round's size. */
async function drain(held: Held[], total: number) {
  const through: Held[] = []
  const rounds: number[] = []
  while (through.length < total) {
    await until(() => held.length > 0)
    // What was parsed before this round; letting it go on makes the connections read again.
    const round = held.splice(0)
    rounds.push(round.length)
    for (const h of round) {
      through.push(h)
      h.goOn()
    }
  }
  return { through, rounds }
}

describe('bounded reading: a gateway behind its input holds a bounded number of parsed packets', () => {
  it('one connection far ahead has at most one 4 KiB piece parsed at a time; the rest waits in TCP and arrives in order', async () => {
    const { port, broker, held } = await heldBroker()
    const raw = await connected(port, 'aggregator')
    const sent = publishes('aggregator', 3000)
    const perPiece = Math.ceil(PIECE_BYTES / (sent[0] as Buffer).length)
    // ~100 KB at once: Aedes alone parses a whole socket read (up to 64 KiB, ~1800 of these) into packets.
    raw.send(Buffer.concat(sent))
    await until(() => held.length > 0)
    await sleep(200)
    expect(held.length).toBeLessThanOrEqual(perPiece)
    expect(broker.stats.packetsInFlight).toBe(held.length)

    const { through, rounds } = await drain(held, 3000)
    expect(Math.max(...rounds)).toBeLessThanOrEqual(perPiece)
    expect(through.map((h) => h.payload)).toEqual(Array.from({ length: 3000 }, (_, i) => `aggregator:${i}`))
    expect(broker.stats.packetsInFlight).toBe(0)
    expect(raw.closed).toBe(false)
  })

  it('across connections, reads wait at mqtt.maxPacketsInFlight and every connection gets its turn: nothing lost, each in order', async () => {
    const { port, broker, held } = await heldBroker({ maxPacketsInFlight: 64 })
    const names = ['c0', 'c1', 'c2', 'c3', 'c4', 'c5']
    const clients = await Promise.all(names.map((n) => connected(port, n)))
    // ~240-byte publishes: one piece is ~17 packets, so the bound (64) is reached before every
    // connection has read.
    const padding = 'x'.repeat(200)
    for (const [i, n] of names.entries()) clients[i]?.send(Buffer.concat(publishes(n, 300, padding)))
    const perPiece = Math.ceil(PIECE_BYTES / (publishes('c0', 1, padding)[0] as Buffer).length)
    await until(() => held.length >= 64)
    await sleep(200)
    expect(held.length).toBeLessThanOrEqual(64 + perPiece)
    expect(broker.stats.packetsInFlight).toBe(held.length)
    expect(broker.stats.connectionsWaitingToRead).toBeGreaterThan(0)

    const { through, rounds } = await drain(held, 6 * 300)
    expect(Math.max(...rounds)).toBeLessThanOrEqual(64 + perPiece)
    for (const n of names)
      expect(through.filter((h) => h.client === n).map((h) => h.payload.split(padding)[0])).toEqual(
        Array.from({ length: 300 }, (_, i) => `${n}:${i}`),
      )
    expect(broker.stats.packetsInFlight).toBe(0)
    expect(broker.stats.connectionsWaitingToRead).toBe(0)
  })

  it('a connection reset with packets in flight gives their room back, once', async () => {
    const { port, broker, held } = await heldBroker({ maxPacketsInFlight: 64 })
    const leaving = await connected(port, 'leaving')
    leaving.send(Buffer.concat(publishes('leaving', 50)))
    await until(() => held.length === 50)
    expect(broker.stats.packetsInFlight).toBe(50)
    leaving.socket.resetAndDestroy()
    await until(() => broker.stats.packetsInFlight === 0)
    // Their ingest finishing after the reset does not count them a second time.
    for (const h of held.splice(0)) h.goOn()
    expect(broker.stats.packetsInFlight).toBe(0)

    // The room is really free: another connection reads all of its 60 publishes (under the bound of 64).
    const staying = await connected(port, 'staying')
    staying.send(Buffer.concat(publishes('staying', 60)))
    await until(() => held.length === 60)
  })

  it('a connection that ends (FIN) with publishes unread has all of them handled before it closes', async () => {
    const { port, broker, held } = await heldBroker()
    const leaving = await connected(port, 'leaving')
    leaving.socket.end(Buffer.concat(publishes('leaving', 2000)))
    const { through } = await drain(held, 2000)
    expect(through.map((h) => h.payload)).toEqual(Array.from({ length: 2000 }, (_, i) => `leaving:${i}`))
    await until(() => broker.stats.clients === 0 && broker.stats.packetsInFlight === 0)
  })

  it('other packets between publishes, and packets cut by a piece, are all handled: SUBACK, PINGRESP, PUBACK, every publish in order', async () => {
    const { port, held } = await heldBroker()
    const raw = await connected(port, 'mixed')
    const qos0 = publishes('mixed', 400)
    const qos1 = rawPublish(Buffer.from('devices/mixed/telemetry'), Buffer.from('mixed:qos1'), 1, 42)
    // One write of ~14 KB: the 4 KiB pieces cut packets, and a SUBSCRIBE and a PINGREQ sit among the publishes.
    raw.send(
      Buffer.concat([
        ...qos0.slice(0, 150),
        bytes({ cmd: 'subscribe', messageId: 9, subscriptions: [{ topic: 'alerts/#', qos: 0 }] }),
        ...qos0.slice(150, 300),
        bytes({ cmd: 'pingreq' }),
        qos1,
        ...qos0.slice(300),
      ]),
    )
    const { through } = await drain(held, 401)
    expect(through.map((h) => h.payload)).toEqual([
      ...Array.from({ length: 300 }, (_, i) => `mixed:${i}`),
      'mixed:qos1',
      ...Array.from({ length: 100 }, (_, i) => `mixed:${300 + i}`),
    ])
    const replies: string[] = []
    await until(() => {
      replies.length = 0
      const parser = mqttPacket.parser({ protocolVersion: 4 })
      parser.on('packet', (p) =>
        replies.push(p.cmd === 'puback' || p.cmd === 'suback' ? `${p.cmd} ${p.messageId}` : p.cmd),
      )
      parser.parse(raw.received)
      return replies.length >= 4
    })
    expect(replies).toEqual(['connack', 'suback 9', 'pingresp', 'puback 42'])
    expect(raw.closed).toBe(false)
  })
})
