import { connect, type Socket } from 'node:net'
import mqttPacket, { type Packet } from 'mqtt-packet'
import { Broker, type BrokerHooks } from '../../src/broker/broker.js'
import { configFromObject } from '../../src/config/load.js'
import { remainingLength } from '../helpers/mqtt-bytes.js'

/** Packet limits and peer info for a GuardedConnection driven directly by a test. */
export const GUARD_LIMITS = {
  maxPacketBytes: 1 << 20,
  maxClientIdLength: 64,
  maxTopicLength: 256,
  maxTopicLevels: 16,
  keepaliveMin: 0,
  keepaliveMax: 65535,
}
export const LOOPBACK_INFO = { address: '127.0.0.1', listener: 'tcp' as const, loopback: true }

/** Builds the bytes of one MQTT 3.1.1 packet with mqtt-packet. */
export function bytes(packet: Record<string, unknown>): Buffer {
  return mqttPacket.generate(packet as unknown as Packet)
}

export function connectPacket(extra: Record<string, unknown> = {}): Buffer {
  return bytes({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clean: true,
    clientId: 'raw',
    keepalive: 30,
    ...extra,
  })
}

/** A hand-built PUBLISH: topic as raw bytes so tests can put invalid UTF-8 in it. */
export function rawPublish(topic: Buffer, payload: Buffer, qos = 0, packetId = 1): Buffer {
  const idBytes = qos > 0 ? Buffer.from([packetId >> 8, packetId & 0xff]) : Buffer.alloc(0)
  const body = Buffer.concat([Buffer.from([topic.length >> 8, topic.length & 0xff]), topic, idBytes, payload])
  return Buffer.concat([Buffer.from([0x30 | (qos << 1)]), remainingLength(body.length), body])
}

export { remainingLength }

/** A TCP socket that records every byte the broker sends and whether it closed the connection. */
export class RawClient {
  received = Buffer.alloc(0)
  closed = false
  private readonly closedPromise: Promise<void>

  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.received = Buffer.concat([this.received, d])
    })
    socket.on('error', () => undefined)
    this.closedPromise = new Promise((resolve) =>
      socket.once('close', () => {
        this.closed = true
        resolve()
      }),
    )
  }

  static open(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new RawClient(socket)))
      socket.once('error', reject)
    })
  }

  send(data: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(data)
  }

  /** Resolves when the broker closed the connection; rejects after the timeout. */
  async waitClosed(timeoutMs = 3000): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      this.closedPromise,
      new Promise((_r, reject) => {
        timer = setTimeout(() => reject(new Error(`not closed within ${timeoutMs} ms`)), timeoutMs)
      }),
    ])
    clearTimeout(timer)
  }

  /** Waits until at least n bytes arrived (or the connection closed). */
  async waitBytes(n: number, timeoutMs = 3000): Promise<Buffer> {
    const until = Date.now() + timeoutMs
    while (this.received.length < n && !this.closed && Date.now() < until)
      await new Promise((r) => setTimeout(r, 10))
    return this.received
  }

  /** Sends CONNECT and waits for the 4-byte CONNACK. */
  async handshake(extra: Record<string, unknown> = {}): Promise<Buffer> {
    this.send(connectPacket(extra))
    const got = await this.waitBytes(4)
    return got.subarray(0, 4)
  }

  close(): void {
    this.socket.destroy()
  }
}

/** A started broker (no gateway, no InfluxDB) on a free port with the given mqtt config. */
export async function startBroker(
  mqtt: Record<string, unknown> = {},
  hooks: BrokerHooks = {},
  now: () => number = Date.now,
) {
  const config = configFromObject({ mqtt: { listeners: [{ host: '127.0.0.1', port: 0 }], ...mqtt } }).mqtt
  const broker = new Broker(config, hooks, undefined, now)
  await broker.start()
  const port = broker.listeners[0]?.port ?? 0
  return { broker, port, url: `mqtt://127.0.0.1:${port}` }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Waits until `condition` holds, polling every 5 ms; throws after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await sleep(5)
  }
}
