import { Duplex } from 'node:stream'
import {
  checkPacket,
  PACKET_CONNACK,
  PACKET_CONNECT,
  PACKET_PUBLISH,
  type PacketLimits,
  publishPassesFast,
  type Refusal,
} from './packet-checks.js'

/** Who is on the other end of a connection; the authenticator and ACL read it. */
export interface ConnectionInfo {
  address: string
  listener: 'tcp' | 'tls' | 'ws'
  loopback: boolean
  /** CN of a verified client certificate (tls listeners with clientCert optional/required). */
  certCommonName?: string
}

export interface GuardOptions extends PacketLimits {
  maxPacketBytes: number
}

/**
 * What a TCP socket buffers in the process before it stops reading from the kernel (Node's default is
 * 16 KiB). A device's socket behind the gateway holds its backlog in small chunks of one or two readings
 * each, ~150 bytes of heap apiece; with 1000 connections behind, 16 KiB each was ~60 MB. The kernel holds
 * the rest and TCP slows the sender. Also the point where a socket write reports back-pressure.
 */
export const SOCKET_BUFFER_BYTES = 4096

/** How long a refused peer gets to read the CONNACK before the socket is destroyed anyway. */
const GRACEFUL_CLOSE_MS = 1000

/**
 * Sits between a transport (TCP socket, TLS socket, WebSocket stream) and `aedes.handle`. It frames
 * MQTT packets from the fixed header, so an oversize packet is refused on its first bytes and never
 * buffered, and it runs the spec checks of packet-checks.ts on each complete packet. Aedes only ever
 * sees packets that passed; a refused connection gets its CONNACK (when the spec asks for one) and
 * is closed.
 */
export class GuardedConnection extends Duplex {
  private pending: Buffer[] = []
  private pendingBytes = 0
  /** Size of the packet being received once its header is known; 0 while the header is incomplete. */
  private awaiting = 0
  private connectSeen = false
  private refused = false
  private innerEnded = false
  /** Whole packets Aedes wrote before its CONNACK; null once the CONNACK went out (see holdUntilConnack). */
  private beforeConnack: Buffer[] | null = []
  /** The start of a packet not yet whole, before the CONNACK. */
  private beforeConnackTail: Buffer | null = null

  constructor(
    private readonly inner: Duplex,
    readonly info: ConnectionInfo,
    private readonly options: GuardOptions,
    private readonly onRefusal: (refusal: Refusal, info: ConnectionInfo) => void,
  ) {
    // Checked packets wait for Aedes here; a small buffer pauses the transport early.
    super({ allowHalfOpen: false, readableHighWaterMark: SOCKET_BUFFER_BYTES })
    inner.on('data', (chunk: Buffer) => this.receive(chunk))
    inner.on('end', () => {
      this.innerEnded = true
      this.push(null)
    })
    inner.on('error', (err) => this.destroy(err))
    // After a clean end (the peer's FIN), what is buffered here still reaches Aedes: a peer that
    // published and disconnected while Aedes was behind (ingest yields under load) loses nothing.
    // Aedes destroys this stream on the 'end' that follows the last byte. Any other close is abrupt.
    inner.on('close', () => {
      if (!this.innerEnded) this.destroy()
    })
  }

  override _read(): void {
    this.inner.resume()
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.writeInner(chunk, callback)
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (err?: Error | null) => void): void {
    this.writeInner(Buffer.concat(chunks.map((c) => c.chunk)), callback)
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.inner.end()
    callback()
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    // A refusal with a reply ends the transport itself; let that CONNACK reach the peer.
    if (!this.refused) this.inner.destroy()
    callback(err)
  }

  private writeInner(data: Buffer, callback: (err?: Error | null) => void): void {
    if (this.refused || this.inner.destroyed) return callback()
    if (this.beforeConnack) {
      this.holdUntilConnack(this.beforeConnack, data)
      return callback()
    }
    // The callback fires when the transport took the bytes, so Aedes sees backpressure from a slow
    // reader (and its drain timeout can disconnect it) instead of this stream buffering without bound.
    if (this.inner.write(data)) callback()
    else this.inner.once('drain', () => callback())
  }

  /**
   * [MQTT-3.2.0-1] the first packet a server sends is the CONNACK. Aedes restores a persistent session's
   * subscriptions before it writes the CONNACK, so a message arriving in between (in a cluster: one relayed
   * late through Redis) would be written first, and a client that gets a PUBLISH before its CONNACK never
   * completes the connect (MQTT.js waits for the CONNACK until its timeout). Such packets wait here and
   * follow the CONNACK. Only whole packets come from Aedes; the wait lasts one connect handshake.
   */
  private holdUntilConnack(held: Buffer[], data: Buffer): void {
    // Each byte is scanned once: whole packets are kept as views, only an unfinished one is carried over.
    const buf = this.beforeConnackTail ? Buffer.concat([this.beforeConnackTail, data]) : data
    this.beforeConnackTail = null
    let offset = 0
    for (;;) {
      const header = readFixedHeader(buf, offset)
      if (header === 'incomplete' || header === 'malformed') break
      const end = offset + header.headerLength + header.remainingLength
      if (end > buf.length) break
      if ((buf[offset] ?? 0) >> 4 === PACKET_CONNACK) {
        this.beforeConnack = null
        this.inner.write(Buffer.concat([buf.subarray(offset, end), ...held, buf.subarray(end)]))
        return
      }
      held.push(buf.subarray(offset, end))
      offset = end
    }
    if (offset < buf.length) this.beforeConnackTail = buf.subarray(offset)
  }

  private receive(chunk: Buffer): void {
    if (this.refused) return
    this.pending.push(chunk)
    this.pendingBytes += chunk.length
    // A packet whose size is known waits in its chunks until complete: no copy per arriving chunk.
    if (this.pendingBytes < this.awaiting) return
    this.awaiting = 0
    const buffer = this.pending.length === 1 ? chunk : Buffer.concat(this.pending, this.pendingBytes)
    // Complete packets are contiguous from 0 to `end`: they go to Aedes as one view (the chunk itself when
    // it held whole packets only, the common case), without a view or array per packet.
    let end = 0
    for (;;) {
      const header = readFixedHeader(buffer, end)
      if (header === 'incomplete') break
      if (header === 'malformed')
        return this.refuse({ reason: 'malformed', detail: 'remaining length over 4 bytes' })
      const total = header.headerLength + header.remainingLength
      // Refused on the header alone: a huge or never-finished packet is not buffered [issue 10 #1].
      if (total > this.options.maxPacketBytes)
        return this.refuse({ reason: 'packet_too_large', detail: `packet of ${total} bytes` })
      if (buffer.length - end < total) {
        this.awaiting = total
        break
      }
      const type = (buffer[end] ?? 0) >> 4
      const flags = (buffer[end] ?? 0) & 0x0f
      const bodyStart = end + header.headerLength
      const refusal =
        this.sequenceCheck(type) ??
        (type === PACKET_PUBLISH && publishPassesFast(buffer, bodyStart, end + total, flags, this.options)
          ? null
          : checkPacket(type, flags, buffer.subarray(bodyStart, end + total), this.options))
      if (refusal) {
        if (end > 0) this.forward(buffer.subarray(0, end))
        return this.refuse(refusal)
      }
      end += total
    }
    if (end === buffer.length) {
      this.pending.length = 0
      this.pendingBytes = 0
      return this.forward(buffer)
    }
    // Keep a copy of a partial packet, not a view that pins the whole (possibly large) last chunk.
    const rest = buffer.subarray(end)
    this.pending = [this.awaiting ? Buffer.from(rest) : rest]
    this.pendingBytes = rest.length
    if (end > 0) this.forward(buffer.subarray(0, end))
  }

  /** [MQTT-3.1.0-1] the first packet is CONNECT; [MQTT-3.1.0-2] a second CONNECT is a violation. */
  private sequenceCheck(type: number): Refusal | null {
    if (type === PACKET_CONNECT) {
      if (this.connectSeen) return { reason: 'malformed', detail: 'second CONNECT [MQTT-3.1.0-2]' }
      this.connectSeen = true
      return null
    }
    if (!this.connectSeen)
      return { reason: 'not_connected', detail: 'first packet is not CONNECT [MQTT-3.1.0-1]' }
    return null
  }

  private forward(data: Buffer): void {
    if (!this.push(data)) this.inner.pause()
  }

  private refuse(refusal: Refusal): void {
    this.refused = true
    this.pending = []
    this.pendingBytes = 0
    this.onRefusal(refusal, this.info)
    if (refusal.reply) {
      this.inner.end(refusal.reply)
      const inner = this.inner
      setTimeout(() => inner.destroy(), GRACEFUL_CLOSE_MS).unref()
    } else {
      this.inner.destroy()
    }
    this.destroy()
  }
}

type FixedHeader = { headerLength: number; remainingLength: number } | 'incomplete' | 'malformed'

/**
 * The fixed header of the packet at `at`: one type/flags byte and a 1–4 byte variable-length remaining
 * length [MQTT-2.2.3].
 */
export function readFixedHeader(buf: Buffer, at = 0): FixedHeader {
  let value = 0
  let multiplier = 1
  for (let i = 1; i <= 4; i++) {
    if (at + i >= buf.length) return 'incomplete'
    const byte = buf[at + i] as number
    value += (byte & 0x7f) * multiplier
    if ((byte & 0x80) === 0) return { headerLength: i + 1, remainingLength: value }
    multiplier *= 128
  }
  return 'malformed'
}
