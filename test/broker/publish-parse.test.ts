import mqttPacket from 'mqtt-packet'
import { describe, expect, it } from 'vitest'
import {
  emitLeadingPublishes,
  type MqttPacketParser,
  parserIsBetweenPackets,
  wholePacketEnd,
} from '../../src/broker/publish-parse.js'
import { bytes } from './raw-client.js'

/** A real mqtt-packet parser (what Aedes holds) that records the packets it emits. */
function recordingParser() {
  const parser = mqttPacket.parser({ protocolVersion: 4 })
  const packets: unknown[] = []
  parser.on('packet', (p) => packets.push(p))
  return { parser: parser as unknown as MqttPacketParser, packets }
}

const publishes = [
  { cmd: 'publish', topic: 'devices/d1/telemetry', payload: Buffer.from('{"t":21.5}'), qos: 0 },
  { cmd: 'publish', topic: 'plant/ünïcode/€', payload: Buffer.from('x'), qos: 1, messageId: 7, retain: true },
  { cmd: 'publish', topic: 'a', payload: Buffer.alloc(0), qos: 2, messageId: 65535, dup: true },
  // Over 127 bytes: a two-byte remaining length.
  { cmd: 'publish', topic: 'big', payload: Buffer.alloc(300, 0x41), qos: 0 },
].map((p) => bytes({ retain: false, dup: false, ...p }))

describe('emitLeadingPublishes: PUBLISH packets without the BufferList parser', () => {
  it('emits exactly what mqtt-packet emits for the same bytes: fields, order of fields, class', () => {
    const stream = Buffer.concat(publishes)
    const reference = recordingParser()
    reference.parser.parse(stream)
    const fast = recordingParser()
    expect(emitLeadingPublishes(fast.parser, stream, 0)).toBe(stream.length)

    expect(fast.packets).toHaveLength(publishes.length)
    expect(fast.packets).toEqual(reference.packets)
    for (const [i, p] of fast.packets.entries()) {
      const ref = reference.packets[i] as object
      // Same hidden class for Aedes' handlers: same constructor, same keys in the same order.
      expect(Object.getPrototypeOf(p)).toBe(Object.getPrototypeOf(ref))
      expect(Object.keys(p as object)).toEqual(Object.keys(ref))
    }
    expect(parserIsBetweenPackets(fast.parser)).toBe(true)
  })

  it('stops at a packet that is not a PUBLISH, and at one the piece holds only part of', () => {
    const ping = bytes({ cmd: 'pingreq' })
    const [first, second] = publishes as [Buffer, Buffer]
    const { parser, packets } = recordingParser()
    const mixed = Buffer.concat([first, ping, second])
    expect(emitLeadingPublishes(parser, mixed, 0)).toBe(first.length)
    expect(wholePacketEnd(mixed, first.length)).toBe(first.length + ping.length)
    expect(emitLeadingPublishes(parser, mixed, first.length + ping.length)).toBe(mixed.length)
    expect(packets).toHaveLength(2)

    const cut = Buffer.concat([first, second.subarray(0, second.length - 1)])
    expect(emitLeadingPublishes(parser, cut, 0)).toBe(first.length)
    expect(wholePacketEnd(cut, first.length)).toBe(-1)
    // Only the header byte of the next packet: not even its length is known yet.
    expect(wholePacketEnd(Buffer.concat([first, second.subarray(0, 1)]), first.length)).toBe(-1)
    expect(packets).toHaveLength(3)
  })

  it('leaves a PUBLISH it cannot read plainly to mqtt-packet: QoS 3, a topic length past the packet', () => {
    const { parser, packets } = recordingParser()
    const qos3 = Buffer.from([0x36, 0x04, 0x00, 0x01, 0x61, 0x62])
    expect(emitLeadingPublishes(parser, qos3, 0)).toBe(0)
    const topicTooLong = Buffer.from([0x30, 0x03, 0x00, 0x09, 0x61])
    expect(emitLeadingPublishes(parser, topicTooLong, 0)).toBe(0)
    expect(packets).toHaveLength(0)
  })
})
