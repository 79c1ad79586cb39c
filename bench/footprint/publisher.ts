/**
 * Paced device publisher for bench/footprint.ts, run as its own process. `devices` devices spread
 * round robin over `connections` raw MQTT 3.1.1 connections (TCP_NODELAY), QoS 0, ~100-byte JSON in
 * the shipped climate-sensor shape. Every ~1 ms tick it writes what is due at `rate` msg/s in all.
 * `HOT_SHARE` of every `HOT_EVERY` readings of a device are "hot" (temperature ≥ 30, the footprint rule fires),
 * each device at its own phase, so the rule's publishes are paced like the readings (~1.5k/s at 10k msg/s);
 * its send time (CLOCK_MONOTONIC, shared by all processes of the box) goes to the parent over IPC.
 *
 * argv: JSON { port, connections, devices, rate, seconds, warm? }
 * IPC out: { hot: number[] } (device, seq, µs triples) every 200 ms; { beforeDisconnect } when everything was
 * sent (IPC in: { disconnect } lets it go on); { done, sent, hot } at the end.
 */
import { connect, type Socket } from 'node:net'
import { remainingLength } from '../../test/helpers/mqtt-bytes.js'
import { HOT_EVERY, HOT_SHARE, nowMicros } from './protocol.js'

interface Options {
  port: number
  connections: number
  devices: number
  rate: number
  seconds: number
  /**
   * Before `ready`: 2 s of readings at `rate` (none hot) from 1000 other devices ('other': warms the code,
   * the measured devices are still new) or from the measured devices themselves ('same'), then 1.5 s quiet.
   */
  warm?: 'other' | 'same'
}

const WARM_MS = 2000
const WARM_QUIET_MS = 1500

const o = JSON.parse(process.argv[2] ?? '{}') as Options

function connectPacket(clientId: string): Buffer {
  const id = Buffer.from(clientId)
  const body = Buffer.concat([
    Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, 0, 60]), // MQTT 3.1.1, clean session, keepalive 60
    Buffer.from([id.length >> 8, id.length & 0xff]),
    id,
  ])
  return Buffer.concat([Buffer.from([0x10, ...remainingLength(body.length)]), body])
}

function publishPacket(topic: Buffer, payload: string): Buffer {
  const body = Buffer.byteLength(payload)
  const head = [0x30, ...remainingLength(2 + topic.length + body), topic.length >> 8, topic.length & 0xff]
  return Buffer.concat([Buffer.from(head), topic, Buffer.from(payload)])
}

async function open(index: number): Promise<Socket> {
  const socket = connect({ port: o.port, host: '127.0.0.1', noDelay: true })
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  socket.write(connectPacket(`fp-pub-${process.pid}-${index}`))
  await new Promise<void>((resolve) => socket.once('data', () => resolve())) // CONNACK
  socket.on('data', () => undefined)
  socket.on('error', () => undefined)
  return socket
}

async function main(): Promise<void> {
  const sockets: Socket[] = []
  // Opened a few at a time: 1000 simultaneous CONNECTs would measure the accept queue, not the run.
  for (let i = 0; i < o.connections; i += 50)
    sockets.push(
      ...(await Promise.all(Array.from({ length: Math.min(50, o.connections - i) }, (_, k) => open(i + k)))),
    )
  const topics = Array.from({ length: o.devices }, (_, d) => Buffer.from(`devices/fp-${d}/telemetry`))
  const seqs = new Array<number>(o.devices).fill(0)
  const lastTs = new Array<number>(o.devices).fill(0)
  const warmSent = o.warm ? await warmUp(sockets, o.warm === 'same' ? topics : undefined, seqs, lastTs) : 0
  process.send?.({ ready: true })
  await new Promise<void>((resolve) => process.once('message', () => resolve()))
  const perConnection: Buffer[][] = sockets.map(() => [])
  let hot: number[] = []
  let hotTotal = 0
  let sent = 0
  let device = 0
  const started = performance.now()
  const end = started + o.seconds * 1000
  const flushHot = setInterval(() => {
    if (hot.length) process.send?.({ hot })
    hot = []
  }, 200)
  while (performance.now() < end) {
    const due = Math.floor(((performance.now() - started) / 1000) * o.rate) - sent
    const at = nowMicros()
    const wall = Date.now()
    for (let n = 0; n < due; n++) {
      const seq = seqs[device] as number
      seqs[device] = seq + 1
      // One reading per device and millisecond at most: (device, ts) is the InfluxDB point key.
      const ts = Math.max(wall, (lastTs[device] as number) + 1)
      lastTs[device] = ts
      // Phase by device: with the same phase, all devices were hot in the same 0.3 s of every 2 s, i.e. the rule
      // published 10k/s in bursts instead of a steady 1.5k/s.
      const isHot = (seq + device) % HOT_EVERY < HOT_SHARE
      const temperature = isHot ? 30 + (seq % 10) / 10 : 20 + (seq % 90) / 10
      const payload = `{"temperature":${temperature.toFixed(1)},"humidity":${40 + (seq % 20)},"ts":${ts},"seq":${seq}}`
      perConnection[device % sockets.length]?.push(publishPacket(topics[device] as Buffer, payload))
      if (isHot) {
        hot.push(device, seq, at)
        hotTotal++
      }
      device = (device + 1) % o.devices
    }
    sent += Math.max(0, due)
    perConnection.forEach((packets, i) => {
      if (!packets.length) return
      sockets[i]?.write(packets.length === 1 ? (packets[0] as Buffer) : Buffer.concat(packets))
      perConnection[i] = []
    })
    await new Promise((r) => setTimeout(r, 1))
  }
  clearInterval(flushHot)
  if (hot.length) process.send?.({ hot })
  // A broker that fell behind still has the tail in our socket buffers: let it take it (bounded, so a
  // wedged broker cannot hang the bench); what it never took is reported as unsent, not as its loss.
  const drained = sockets.map(
    (s) => new Promise<void>((r) => (s.writableLength ? s.once('drain', () => r()) : r())),
  )
  await Promise.race([Promise.all(drained), new Promise((r) => setTimeout(r, 60_000))])
  const unsentBytes = sockets.reduce((n, s) => n + s.writableLength, 0)
  await new Promise((r) => setTimeout(r, 500))
  // The bench reads the gateway's event-loop delay here, before the disconnects (each takes its devices
  // offline: work of the disconnect, not of the load); it answers { disconnect } (or 10 s pass).
  process.send?.({ beforeDisconnect: true })
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 10_000)
    const onMessage = (m: { disconnect?: boolean }) => {
      if (!m.disconnect) return
      clearTimeout(timer)
      process.off('message', onMessage)
      resolve()
    }
    process.on('message', onMessage)
  })
  for (const s of sockets) s.end(Buffer.from([0xe0, 0])) // DISCONNECT
  process.send?.({ done: true, sent, warmSent, hot: hotTotal, unsentBytes }, () => process.disconnect())
}

/**
 * The warm-up (Options.warm): readings paced at `rate`, none hot, from `topics` (continuing their seq and
 * time) or from other devices; returns how many were sent (they land in InfluxDB too).
 */
async function warmUp(sockets: Socket[], topics: Buffer[] | undefined, seqs: number[], lastTs: number[]) {
  const warmTopics =
    topics ?? Array.from({ length: o.devices }, (_, d) => Buffer.from(`devices/fp-warm-${d}/telemetry`))
  const started = performance.now()
  let sent = 0
  while (performance.now() < started + WARM_MS) {
    const due = Math.floor(((performance.now() - started) / 1000) * o.rate) - sent
    const batches: Buffer[][] = sockets.map(() => [])
    for (let n = 0; n < due; n++, sent++) {
      const device = sent % o.devices
      const seq = topics ? (seqs[device] as number) : Math.floor(sent / o.devices)
      if (topics) seqs[device] = seq + 1
      const ts = Math.max(Date.now(), (lastTs[device] as number) + 1)
      if (topics) lastTs[device] = ts
      const payload = `{"temperature":${(20 + (seq % 90) / 10).toFixed(1)},"humidity":40,"ts":${ts},"seq":${seq}}`
      batches[device % sockets.length]?.push(publishPacket(warmTopics[device] as Buffer, payload))
    }
    batches.forEach((b, i) => {
      if (b.length) sockets[i]?.write(Buffer.concat(b))
    })
    await new Promise((r) => setTimeout(r, 1))
  }
  await new Promise((r) => setTimeout(r, WARM_QUIET_MS))
  return sent
}

main().catch((err: unknown) => {
  process.stderr.write(`footprint publisher: ${(err as Error).stack}\n`)
  process.exit(1)
})
