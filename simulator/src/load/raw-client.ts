import { connect, type Socket } from 'node:net'

/**
 * A minimal MQTT 3.1.1 publisher for load generation: it writes PUBLISH packets straight to the socket
 * (corked per batch) and only parses what comes back to count PUBACKs. mqtt.js costs several µs per
 * message in bookkeeping, which would make the generator, not the broker, the bottleneck.
 */
export class RawMqttPublisher {
  /** PUBACKs received (QoS 1). */
  acked = 0
  /** Set when the broker closed the connection. */
  closedReason: string | undefined
  private socket: Socket | null = null
  private nextPacketId = 1
  private pending: Buffer = Buffer.alloc(0)
  private readonly topicBytes = new Map<string, Buffer>()

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly clientId: string,
  ) {}

  async connect(timeoutMs = 10_000): Promise<void> {
    const socket = connect({ host: this.host, port: this.port, noDelay: true })
    this.socket = socket
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`CONNACK timeout for ${this.clientId}`)), timeoutMs)
      socket.once('error', (err) => {
        clearTimeout(timer)
        reject(err)
      })
      socket.once('connect', () => socket.write(connectPacket(this.clientId)))
      const onData = (chunk: Buffer) => {
        // CONNACK: 0x20 0x02 <flags> <return code>
        if (chunk.length >= 4 && chunk[0] === 0x20) {
          clearTimeout(timer)
          socket.off('data', onData)
          if (chunk[3] !== 0) return reject(new Error(`CONNACK refused (${chunk[3]}) for ${this.clientId}`))
          socket.on('data', (d: Buffer) => this.read(d))
          if (chunk.length > 4) this.read(chunk.subarray(4))
          resolve()
        }
      }
      socket.on('data', onData)
    })
    socket.on('error', (err) => {
      this.closedReason = err.message
    })
    socket.on('close', () => {
      this.closedReason ??= 'closed by broker'
    })
  }

  get writable(): boolean {
    return this.socket !== null && !this.socket.destroyed && this.closedReason === undefined
  }

  /** Whether the kernel buffer is full (the broker is not keeping up with this connection). */
  get congested(): boolean {
    return (this.socket?.writableLength ?? 0) > 1_000_000
  }

  cork(): void {
    this.socket?.cork()
  }

  uncork(): void {
    this.socket?.uncork()
  }

  publish(topic: string, payload: string, qos: 0 | 1): void {
    const socket = this.socket
    if (!socket) return
    let t = this.topicBytes.get(topic)
    if (!t) {
      t = Buffer.from(topic)
      this.topicBytes.set(topic, t)
    }
    const body = Buffer.byteLength(payload)
    const remaining = 2 + t.length + (qos ? 2 : 0) + body
    const header = Buffer.allocUnsafe(1 + varintLength(remaining) + 2 + t.length + (qos ? 2 : 0))
    let o = 0
    header[o++] = 0x30 | (qos << 1)
    o = writeVarint(header, o, remaining)
    header.writeUInt16BE(t.length, o)
    o += 2
    t.copy(header, o)
    o += t.length
    if (qos) {
      header.writeUInt16BE(this.nextPacketId, o)
      this.nextPacketId = this.nextPacketId === 0xffff ? 1 : this.nextPacketId + 1
    }
    socket.write(header)
    socket.write(payload)
  }

  async close(): Promise<void> {
    const socket = this.socket
    if (!socket || socket.destroyed) return
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve())
      socket.end(Buffer.from([0xe0, 0x00])) // DISCONNECT
      setTimeout(() => socket.destroy(), 2000).unref()
    })
  }

  /** Counts PUBACKs in the incoming byte stream; other packets (PINGRESP) are skipped. */
  private read(chunk: Buffer): void {
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk
    let o = 0
    while (o < buf.length) {
      const type = (buf[o] ?? 0) >> 4
      let len = 0
      let mult = 1
      let i = o + 1
      let complete = false
      while (i < buf.length) {
        const b = buf[i++] ?? 0
        len += (b & 0x7f) * mult
        mult *= 128
        if ((b & 0x80) === 0) {
          complete = true
          break
        }
      }
      if (!complete || i + len > buf.length) break
      if (type === 4) this.acked++
      o = i + len
    }
    buf = buf.subarray(o)
    this.pending = buf.length ? Buffer.from(buf) : Buffer.alloc(0)
  }
}

function varintLength(n: number): number {
  return n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4
}

function writeVarint(buf: Buffer, offset: number, n: number): number {
  let o = offset
  do {
    let byte = n % 128
    n = Math.floor(n / 128)
    if (n > 0) byte |= 0x80
    buf[o++] = byte
  } while (n > 0)
  return o
}

/** CONNECT, MQTT 3.1.1, clean session, keepalive 60 s (a step is shorter; no PINGREQ needed). */
function connectPacket(clientId: string): Buffer {
  const id = Buffer.from(clientId)
  const variable = Buffer.from([0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3c])
  const remaining = variable.length + 2 + id.length
  const out = Buffer.alloc(1 + varintLength(remaining) + remaining)
  out[0] = 0x10
  let o = writeVarint(out, 1, remaining)
  variable.copy(out, o)
  o += variable.length
  out.writeUInt16BE(id.length, o)
  id.copy(out, o + 2)
  return out
}
