import { describe, expect, it } from 'vitest'
import { checkPacket, PACKET_PUBLISH, publishPassesFast } from '../../src/broker/packet-checks.js'
import { GUARD_LIMITS } from './raw-client.js'

const LIMITS = { ...GUARD_LIMITS, maxTopicLength: 40, maxTopicLevels: 4 }

/** A PUBLISH body: topic (length-prefixed, as given, even if malformed), optional packet id, payload. */
function body(topic: Buffer, id: number | null, payload = 'x', declaredLength = topic.length): Buffer {
  const head = Buffer.from([declaredLength >> 8, declaredLength & 0xff])
  const idBytes = id === null ? Buffer.alloc(0) : Buffer.from([id >> 8, id & 0xff])
  return Buffer.concat([head, topic, idBytes, Buffer.from(payload)])
}

const topics = [
  'devices/d1/telemetry',
  'a',
  '/',
  'a/b/c/d',
  'a/b/c/d/e', // too many levels
  'x'.repeat(40),
  'x'.repeat(41), // too long
  'devices/+/t', // wildcard
  'devices/#',
  'a\u0000b', // NUL
  'grüße/zone', // non-ASCII: the full path decides
  '$SYS/x',
  '',
].map((t) => Buffer.from(t, 'utf8'))
const malformed = [Buffer.from([0xc3, 0x28]), Buffer.from([0xed, 0xa0, 0x80])] // invalid UTF-8, a surrogate

describe('the PUBLISH fast path', () => {
  it('passes only what checkPacket passes, and passes the common ASCII publishes itself', () => {
    let fastPassed = 0
    for (const topic of [...topics, ...malformed])
      for (const flags of [0x00, 0x01, 0x02, 0x03, 0x04, 0x06, 0x08, 0x0a])
        for (const id of [null, 0, 7])
          for (const declared of [topic.length, topic.length + 50]) {
            const qos = (flags >> 1) & 3
            // A QoS>0 publish carries an id; the matrix also feeds QoS 0 ones with bytes that look like one.
            const b = body(topic, qos > 0 ? id : null, 'payload', declared)
            const framed = Buffer.concat([Buffer.from([0xaa, 0xbb]), b, Buffer.from([0xcc])]) // offsets inside a read
            const fast = publishPassesFast(framed, 2, 2 + b.length, flags, LIMITS)
            const full = checkPacket(PACKET_PUBLISH, flags, b, LIMITS)
            if (fast) {
              fastPassed++
              expect(full, `${topic.toString('hex')} flags ${flags} id ${id}`).toBeNull()
            }
          }
    expect(fastPassed).toBeGreaterThan(20)
    // The everyday telemetry publish takes the fast path at QoS 0 and 1.
    expect(publishPassesFast(body(Buffer.from('devices/d1/telemetry'), null), 0, 24, 0x00, LIMITS)).toBe(true)
    const qos1 = body(Buffer.from('devices/d1/telemetry'), 9)
    expect(publishPassesFast(qos1, 0, qos1.length, 0x02, LIMITS)).toBe(true)
  })
})
