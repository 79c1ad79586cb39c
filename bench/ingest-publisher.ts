/**
 * Load generator for bench/ingest.ts, run as a child process (its CPU is not the gateway's).
 * Speaks just enough MQTT 3.1.1 over raw TCP (CONNECT, PUBLISH, PUBACK) that the publisher costs far
 * less CPU than the gateway it measures: packets are encoded by hand and written in batches, and TCP
 * backpressure (plus the QoS 1 in-flight window) sets the pace: "as fast as the gateway sustains".
 *
 * argv: JSON { port, firstDevice, devices, connections, qos, seconds, window, baseTime, rate }
 * IPC out: { published, acked } every 250 ms, and { done: true, published, acked } at the end.
 */
import { connect, type Socket } from 'node:net'
import { remainingLength } from '../test/helpers/mqtt-bytes.js'

interface Options {
  port: number
  firstDevice: number
  devices: number
  connections: number
  qos: 0 | 1
  seconds: number
  /** QoS 1: unacknowledged publishes allowed per connection. */
  window: number
  /** ts of the first message of each device; ts = baseTime + seq keeps (device, time) unique. */
  baseTime: number
  /** Messages per second for this publisher in all; 0 = as fast as TCP backpressure allows. */
  rate: number
}

const options = JSON.parse(process.argv[2] ?? '{}') as Options
let published = 0
let acked = 0
let stopping = false

function connectPacket(clientId: string): Buffer {
  const id = Buffer.from(clientId)
  const body = Buffer.concat([
    Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, 0, 60]), // "MQTT", level 4, clean session, keepalive 60
    Buffer.from([id.length >> 8, id.length & 0xff]),
    id,
  ])
  return Buffer.concat([Buffer.from([0x10, ...remainingLength(body.length)]), body])
}

function publishPacket(topic: Buffer, payload: Buffer, qos: 0 | 1, packetId: number): Buffer {
  const len = 2 + topic.length + (qos ? 2 : 0) + payload.length
  const header = [qos ? 0x32 : 0x30, ...remainingLength(len), topic.length >> 8, topic.length & 0xff]
  const parts = [Buffer.from(header), topic]
  if (qos) parts.push(Buffer.from([packetId >> 8, packetId & 0xff]))
  parts.push(payload)
  return Buffer.concat(parts)
}

/** One connection publishing for its share of devices, round robin. */
async function runConnection(index: number, deviceIds: string[]): Promise<void> {
  const socket: Socket = connect(options.port, '127.0.0.1')
  socket.setNoDelay(true)
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  socket.on('error', () => {})
  let inflight = 0
  let wake: (() => void) | null = null
  let connacked = false
  let pending: Buffer = Buffer.alloc(0)
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk
    // Every packet the broker sends us here is 4 bytes: CONNACK (0x20) or PUBACK (0x40).
    let i = 0
    while (pending.length - i >= 4) {
      const type = (pending[i] as number) >> 4
      if (type === 2) connacked = true
      if (type === 4) {
        inflight--
        acked++
      }
      i += 2 + (pending[i + 1] as number)
    }
    pending = pending.subarray(i)
    if (wake) {
      const w = wake
      wake = null
      w()
    }
  })
  socket.write(connectPacket(`bench-${process.pid}-${index}`))
  while (!connacked) await new Promise<void>((r) => (wake = r))

  const topics = deviceIds.map((d) => Buffer.from(`devices/${d}/telemetry`))
  const seqs = deviceIds.map(() => 0)
  let packetId = 0
  let device = 0
  const BATCH = 100
  const started = Date.now()
  const perConnection = options.rate / options.connections
  let sent = 0
  while (!stopping) {
    if (perConnection > 0) {
      // Paced: sleep until this batch is due.
      const due = started + (sent * 1000) / perConnection
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()))
    }
    sent += BATCH
    const packets: Buffer[] = []
    for (let n = 0; n < BATCH; n++) {
      const seq = seqs[device] as number
      seqs[device] = seq + 1
      const payload = Buffer.from(
        `{"temperature":${(20 + (seq % 100) / 10).toFixed(1)},"humidity":${40 + (seq % 20)},"ts":${options.baseTime + seq},"seq":${seq}}`,
      )
      packetId = (packetId % 65535) + 1
      packets.push(publishPacket(topics[device] as Buffer, payload, options.qos, packetId))
      device = (device + 1) % topics.length
    }
    published += BATCH
    if (options.qos) inflight += BATCH
    const flushed = socket.write(Buffer.concat(packets))
    if (!flushed) await new Promise<void>((r) => socket.once('drain', () => r()))
    while (options.qos && inflight > options.window && !stopping) await new Promise<void>((r) => (wake = r))
    // Let the data and timer handlers run between batches.
    if (flushed) await new Promise<void>((r) => setImmediate(r))
  }
  // QoS 1: wait (bounded) for the last acks so "acked" is final.
  const until = Date.now() + 10_000
  while (options.qos && inflight > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20))
  // BENCH_LINGER_MS keeps the connections open that long before DISCONNECT (to tell close-time losses apart).
  const linger = Number(process.env['BENCH_LINGER_MS'] ?? 0)
  if (linger > 0) await new Promise((r) => setTimeout(r, linger))
  socket.write(Buffer.from([0xe0, 0])) // DISCONNECT
  socket.end()
}

async function main(): Promise<void> {
  const all = Array.from({ length: options.devices }, (_, i) => `bench-${options.firstDevice + i}`)
  const groups: string[][] = Array.from({ length: options.connections }, () => [])
  all.forEach((d, i) => {
    groups[i % options.connections]?.push(d)
  })
  const report = setInterval(() => process.send?.({ published, acked }), 250)
  setTimeout(() => {
    stopping = true
  }, options.seconds * 1000)
  await Promise.all(groups.filter((g) => g.length).map((g, i) => runConnection(i, g)))
  clearInterval(report)
  process.send?.({ done: true, published, acked })
  process.disconnect?.()
}

main().catch((err: unknown) => {
  process.stderr.write(`publisher failed: ${(err as Error).stack}\n`)
  process.exitCode = 1
})
