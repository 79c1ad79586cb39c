import { createRequire } from 'node:module'
import mqttPacket from 'mqtt-packet'
import { describe, expect, it } from 'vitest'
import '../../src/broker/broker.js'

const require = createRequire(import.meta.url)

describe('mqtt-packet number cache', () => {
  it('is off once the broker is loaded: writing packets builds no 65,536-Buffer cache, and they stay correct', () => {
    expect(mqttPacket.writeToStream.cacheNumbers).toBe(false)
    const packet = {
      cmd: 'publish' as const,
      topic: 'devices/a/telemetry',
      payload: Buffer.from('{"t":1}'),
      qos: 1 as const,
      messageId: 300,
      retain: false,
      dup: false,
    }
    const bytes = mqttPacket.generate(packet)
    const numbers = require('mqtt-packet/numbers') as { cache: Record<number, Buffer> }
    expect(Object.keys(numbers.cache)).toHaveLength(0)
    const parser = mqttPacket.parser()
    const parsed: mqttPacket.Packet[] = []
    parser.on('packet', (p) => parsed.push(p))
    parser.parse(bytes)
    expect(parsed[0]).toMatchObject({ cmd: 'publish', topic: packet.topic, messageId: 300, qos: 1 })
  })
})
