import { Duplex } from 'node:stream'
import mqttPacket from 'mqtt-packet'
import { describe, expect, it } from 'vitest'
import { GuardedConnection } from '../../src/broker/guarded-connection.js'
import { GUARD_LIMITS, LOOPBACK_INFO } from './raw-client.js'

const LIMITS = GUARD_LIMITS
const INFO = LOOPBACK_INFO

/** A transport that records what the server sends to the peer, in order. */
function recordingTransport(): { inner: Duplex; sent: Buffer[] } {
  const sent: Buffer[] = []
  const inner = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      sent.push(chunk)
      cb()
    },
  })
  return { inner, sent }
}

const publish = (topic: string, messageId: number) =>
  ({
    cmd: 'publish',
    topic,
    payload: Buffer.from('x'),
    qos: 1,
    messageId,
    retain: false,
    dup: false,
  }) as const
const connack = { cmd: 'connack', returnCode: 0, sessionPresent: true } as const

/** Decodes what went out into packet types, as the client would read them. */
function packetsSent(sent: Buffer[]): string[] {
  const parser = mqttPacket.parser()
  const seen: string[] = []
  parser.on('packet', (p) => seen.push(p.cmd === 'publish' ? `publish ${p.topic}` : p.cmd))
  parser.parse(Buffer.concat(sent))
  return seen
}

describe('the first packet a client receives is the CONNACK [MQTT-3.2.0-1]', () => {
  it('a message Aedes writes while the connect is still in progress follows the CONNACK', async () => {
    const { inner, sent } = recordingTransport()
    const guarded = new GuardedConnection(inner, INFO, LIMITS, () => {})
    // A restored subscription delivers before Aedes writes the CONNACK (written piecewise, as mqtt-packet does).
    mqttPacket.writeToStream(publish('jobs/1', 1), guarded)
    mqttPacket.writeToStream(publish('jobs/2', 2), guarded)
    await new Promise((r) => setImmediate(r))
    expect(sent).toEqual([])
    mqttPacket.writeToStream(connack, guarded)
    mqttPacket.writeToStream(publish('jobs/3', 3), guarded)
    await new Promise((r) => setImmediate(r))
    expect(packetsSent(sent)).toEqual(['connack', 'publish jobs/1', 'publish jobs/2', 'publish jobs/3'])
  })

  it('a packet split across writes before the CONNACK is held whole and follows it', async () => {
    const { inner, sent } = recordingTransport()
    const guarded = new GuardedConnection(inner, INFO, LIMITS, () => {})
    const early = mqttPacket.generate(publish('jobs/split', 1))
    const write = (b: Buffer) => new Promise<void>((r) => guarded.write(b, () => r()))
    await write(early.subarray(0, 3))
    await write(Buffer.concat([early.subarray(3), mqttPacket.generate(connack)]))
    expect(packetsSent(sent)).toEqual(['connack', 'publish jobs/split'])
  })

  it('after the CONNACK, writes pass straight through', async () => {
    const { inner, sent } = recordingTransport()
    const guarded = new GuardedConnection(inner, INFO, LIMITS, () => {})
    mqttPacket.writeToStream(connack, guarded)
    await new Promise((r) => setImmediate(r))
    expect(packetsSent(sent)).toEqual(['connack'])
    mqttPacket.writeToStream(publish('a', 1), guarded)
    await new Promise((r) => setImmediate(r))
    expect(packetsSent(sent)).toEqual(['connack', 'publish a'])
  })
})
