/**
 * The subscriber of bench/footprint.ts, in its own process: one raw MQTT connection (TCP_NODELAY)
 * that records when each hot reading's reaction arrives (CLOCK_MONOTONIC µs).
 * - mode `rule`: subscribes to the bench rule's publishes `bench/hot/#` (payload "fp-<n> <seq>");
 * - mode `relay`: subscribes to `devices/#` on a plain broker (the Mosquitto baseline) and keeps the
 *   hot readings themselves, so the figure is what a bare relay adds.
 *
 * argv: JSON { port, mode }. IPC out: { ready } once subscribed; { got: number[] } (device, seq, µs
 * triples) every 200 ms.
 */
import { connect } from 'node:net'
import { nowMicros } from './protocol.js'

const o = JSON.parse(process.argv[2] ?? '{}') as { port: number; mode: 'rule' | 'relay' }
const filter = o.mode === 'rule' ? 'bench/hot/#' : 'devices/#'
let got: number[] = []
const PINGREQ = Buffer.from([0xc0, 0x00])

const socket = connect({ port: o.port, host: '127.0.0.1', noDelay: true })
socket.on('error', (err) => {
  process.stderr.write(`footprint subscriber: ${err.message}\n`)
  process.exit(1)
})
socket.once('connect', () => {
  const id = Buffer.from(`fp-sub-${process.pid}`)
  const body = Buffer.concat([Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, 0, 60, 0, id.length]), id])
  socket.write(Buffer.concat([Buffer.from([0x10, body.length]), body]))
  const f = Buffer.from(filter)
  const sub = Buffer.concat([Buffer.from([0, 1, 0, f.length]), f, Buffer.from([0])])
  socket.write(Buffer.concat([Buffer.from([0x82, sub.length]), sub]))
})

let pending: Buffer = Buffer.alloc(0)
socket.on('data', (chunk: Buffer) => {
  const at = nowMicros()
  pending = pending.length ? Buffer.concat([pending, chunk]) : chunk
  let i = 0
  for (;;) {
    // Fixed header: type byte, 1–4 byte remaining length.
    let len = 0
    let mul = 1
    let h = i + 1
    for (; h < pending.length && h < i + 5; h++) {
      const b = pending[h] as number
      len += (b & 0x7f) * mul
      mul *= 128
      if ((b & 0x80) === 0) break
    }
    if (h >= pending.length || pending.length < h + 1 + len) break
    const type = (pending[i] as number) >> 4
    const start = h + 1
    if (type === 9) process.send?.({ ready: true }) // SUBACK
    if (type === 3) record(pending.subarray(start, start + len), ((pending[i] as number) >> 1) & 3, at)
    i = start + len
  }
  pending = pending.subarray(i)
})

function record(body: Buffer, qos: number, at: number): void {
  const topicLength = body.readUInt16BE(0)
  const topic = body.toString('latin1', 2, 2 + topicLength)
  const payload = body.toString('latin1', 2 + topicLength + (qos ? 2 : 0))
  if (o.mode === 'rule') {
    const [device = '', seq = ''] = payload.split(' ')
    got.push(Number(device.slice(3)), Number(seq), at)
    return
  }
  const t = /"temperature":([\d.]+)/.exec(payload)
  const seq = /"seq":(\d+)/.exec(payload)
  if (!t || !seq || Number(t[1]) <= 29.5) return
  got.push(Number(topic.split('/')[1]?.slice(3)), Number(seq[1]), at)
}

setInterval(() => {
  if (got.length) process.send?.({ got })
  got = []
}, 200)

// The CONNECT says keepalive 60 s and this client only receives: without a PINGREQ the broker closes it after
// 1.5 × 60 s ([MQTT-3.1.2-24]), and a soak lost every reaction after its first 90 s.
setInterval(() => socket.write(PINGREQ), 30_000)
process.on('disconnect', () => process.exit(0))
