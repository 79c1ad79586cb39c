import { connect } from 'node:net'
import { describe, expect, it } from 'vitest'
import { useCleanup } from '../helpers/cleanup.js'
import { queryUntil, startTestGateway } from '../helpers/gateway.js'
import { connectClient } from '../helpers/mqtt.js'
import { bytes, connectPacket, rawPublish } from './raw-client.js'

const cleanup = useCleanup()

/** mulberry32: a small seeded PRNG, so a failing run can be replayed with FUZZ_SEED. */
function prng(seed: number) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number) => Math.floor(next() * n)
  return { next, int, pick: <T>(xs: T[]): T => xs[int(xs.length)] as T }
}

type Rng = ReturnType<typeof prng>

const seeds: Buffer[] = [
  bytes({ cmd: 'subscribe', messageId: 3, subscriptions: [{ topic: 'devices/+/telemetry', qos: 1 }] }),
  bytes({ cmd: 'unsubscribe', messageId: 4, unsubscriptions: ['a/#'] }),
  bytes({ cmd: 'pingreq' }),
  bytes({ cmd: 'pubrel', messageId: 9 }),
  bytes({ cmd: 'puback', messageId: 9 }),
  bytes({ cmd: 'disconnect' }),
  rawPublish(Buffer.from('devices/fz/telemetry'), Buffer.from('{"temperature":1}'), 1, 5),
  rawPublish(Buffer.from('devices/fz/telemetry'), Buffer.from('{"temperature":1}'), 2, 6),
  rawPublish(Buffer.from('x/y'), Buffer.alloc(300, 1), 0),
]

/** One hostile byte sequence: random noise, or a valid CONNECT followed by mutated valid packets. */
function hostileBytes(rng: Rng): Buffer {
  if (rng.next() < 0.25) return Buffer.from(Array.from({ length: 1 + rng.int(2000) }, () => rng.int(256)))
  const parts: Buffer[] = []
  const connect = Buffer.from(
    connectPacket({ clientId: rng.next() < 0.2 ? '__proto__' : `fz${rng.int(1000)}`, clean: true }),
  )
  if (rng.next() < 0.3) mutate(connect, rng)
  parts.push(connect)
  for (let i = 0, n = 1 + rng.int(8); i < n; i++) {
    const packet = Buffer.from(rng.pick(seeds))
    if (rng.next() < 0.7) mutate(packet, rng)
    parts.push(rng.next() < 0.1 ? packet.subarray(0, rng.int(packet.length)) : packet)
  }
  return Buffer.concat(parts)
}

function mutate(packet: Buffer, rng: Rng): void {
  for (let i = 0, n = 1 + rng.int(4); i < n; i++) {
    const at = rng.int(packet.length)
    const roll = rng.next()
    if (roll < 0.5) packet[at] = rng.int(256)
    else if (roll < 0.7) packet[at] = (packet[at] ?? 0) ^ (1 << rng.int(8))
    else if (roll < 0.85) packet[at] = 0
    else packet[at] = 0xff
  }
}

function throwAt(port: number, data: Buffer, rng: Rng): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      // Split at a random point so framing across reads is exercised too.
      const cut = rng.int(data.length)
      socket.write(data.subarray(0, cut))
      setTimeout(() => {
        if (!socket.destroyed) socket.write(data.subarray(cut))
        setTimeout(() => socket.destroy(), 20 + rng.int(50))
      }, rng.int(5))
    })
    socket.on('error', () => undefined)
    socket.on('close', () => resolve())
  })
}

describe('fuzz: random and mutated MQTT packets', () => {
  it('for a fixed time leave the gateway up and a well-behaved client’s points all in InfluxDB', async () => {
    const seed = Number(process.env['FUZZ_SEED'] ?? 0xc0ffee)
    const rng = prng(seed)
    const { gateway, mqttUrl, influx } = await startTestGateway({
      mqtt: { connectTimeout: '500ms', maxPacketBytes: 65536 },
    })
    cleanup.push(() => gateway.stop())
    const port = Number(new URL(mqttUrl).port)

    const fuzzFor = 3000
    const until = Date.now() + fuzzFor
    let sockets = 0
    const fuzzers = Array.from({ length: 6 }, async () => {
      while (Date.now() < until) {
        await throwAt(port, hostileBytes(rng), rng)
        sockets++
      }
    })
    const device = await connectClient(mqttUrl, { clientId: 'steady' })
    cleanup.push(() => device.endAsync())
    const points = 100
    const steady = (async () => {
      for (let i = 0; i < points; i++) {
        await device.publishAsync(
          'devices/steady/telemetry',
          JSON.stringify({ temperature: i % 40, ts: 1_700_000_000_000 + i }),
          { qos: 1 },
        )
        await new Promise((r) => setTimeout(r, fuzzFor / points / 2))
      }
    })()
    await Promise.all([...fuzzers, steady])

    const { rows } = await queryUntil(
      influx,
      "SELECT count(temperature) FROM climate WHERE device='steady'",
      (r) => r[0]?.[1] === points,
    )
    const refused = [...gateway.broker.refusals.counts].sort((a, b) => b[1] - a[1])
    console.log(
      `fuzz seed ${seed}: ${sockets} hostile sockets in ${fuzzFor} ms; refusals ${JSON.stringify(refused)}`,
    )
    expect(rows[0]?.[1], `seed ${seed}`).toBe(points)
    expect(sockets).toBeGreaterThan(50)
    // Still serving new clients.
    const late = await connectClient(mqttUrl, { clientId: 'late' })
    await late.publishAsync('devices/late/telemetry', '{"temperature":3}', { qos: 1 })
    await late.endAsync()
  }, 30_000)
})
