import type { RefusalReason } from './refusals.js'

/**
 * Byte-level checks of one complete MQTT 3.1/3.1.1 control packet, done before Aedes parses it.
 * Aedes (and mqtt-packet) accept several things the spec says a server must refuse; these close
 * the gaps. Each refusal names the spec clause it enforces.
 */

export interface PacketLimits {
  maxClientIdLength: number
  maxTopicLength: number
  maxTopicLevels: number
  keepaliveMin: number
  keepaliveMax: number
}

/** A refusal: the reason to count, and the bytes to send before closing (a CONNACK), if any. */
export interface Refusal {
  reason: RefusalReason
  detail: string
  reply?: Buffer
}

export const CONNACK_UNACCEPTABLE_PROTOCOL = Buffer.from([0x20, 0x02, 0x00, 0x01])
export const CONNACK_IDENTIFIER_REJECTED = Buffer.from([0x20, 0x02, 0x00, 0x02])

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/** Reads length-prefixed fields; every read returns null past the end instead of throwing. */
class Cursor {
  offset = 0
  constructor(private readonly buf: Buffer) {}
  get remaining(): number {
    return this.buf.length - this.offset
  }
  byte(): number | null {
    if (this.remaining < 1) return null
    return this.buf[this.offset++] ?? null
  }
  uint16(): number | null {
    if (this.remaining < 2) return null
    const v = this.buf.readUInt16BE(this.offset)
    this.offset += 2
    return v
  }
  bytes(): Buffer | null {
    const len = this.uint16()
    if (len === null || this.remaining < len) return null
    const out = this.buf.subarray(this.offset, this.offset + len)
    this.offset += len
    return out
  }
}

const refuse = (reason: RefusalReason, detail: string, reply?: Buffer): Refusal =>
  reply ? { reason, detail, reply } : { reason, detail }

/**
 * A UTF-8 string as MQTT allows it: well-formed UTF-8 (so no encoded surrogate halves) [MQTT-1.5.3-1]
 * and no U+0000 [MQTT-1.5.3-2]. Returns the decoded string or null.
 */
export function mqttString(raw: Buffer): string | null {
  if (raw.includes(0)) return null
  try {
    return strictUtf8.decode(raw)
  } catch {
    return null
  }
}

function levelCount(topic: string): number {
  let n = 1
  for (let i = 0; i < topic.length; i++) if (topic.charCodeAt(i) === 47) n++
  return n
}

/** A topic name a client may publish to (also a will topic). */
export function checkTopicName(raw: Buffer | null, limits: PacketLimits): Refusal | null {
  if (raw === null) return refuse('malformed', 'truncated topic')
  if (raw.length === 0) return refuse('topic_invalid', 'empty topic [MQTT-4.7.3-1]')
  if (raw.length > limits.maxTopicLength) return refuse('topic_too_long', `topic of ${raw.length} bytes`)
  const topic = mqttString(raw)
  if (topic === null)
    return refuse('topic_invalid', 'topic is not valid UTF-8 or contains U+0000 [MQTT-1.5.3-1/2]')
  if (topic.includes('+') || topic.includes('#'))
    return refuse('topic_wildcard', 'wildcard in a topic name [MQTT-3.3.2-2]')
  if (levelCount(topic) > limits.maxTopicLevels) return refuse('topic_levels', 'too many topic levels')
  return null
}

function checkTopicFilter(raw: Buffer | null, limits: PacketLimits): Refusal | null {
  if (raw === null) return refuse('malformed', 'truncated topic filter')
  if (raw.length === 0) return refuse('topic_invalid', 'empty topic filter [MQTT-4.7.3-1]')
  if (raw.length > limits.maxTopicLength) return refuse('topic_too_long', `filter of ${raw.length} bytes`)
  const filter = mqttString(raw)
  if (filter === null)
    return refuse('topic_invalid', 'filter is not valid UTF-8 or contains U+0000 [MQTT-1.5.3-1/2]')
  if (levelCount(filter) > limits.maxTopicLevels) return refuse('topic_levels', 'too many filter levels')
  return null
}

function checkConnect(flags: number, body: Buffer, limits: PacketLimits): Refusal | null {
  if (flags !== 0) return refuse('malformed', 'CONNECT fixed-header flags [MQTT-2.2.2-2]')
  const c = new Cursor(body)
  const name = c.bytes()
  const level = c.byte()
  const connectFlags = c.byte()
  const keepalive = c.uint16()
  if (name === null || level === null || connectFlags === null || keepalive === null)
    return refuse('malformed', 'truncated CONNECT')
  const protocol = name.toString('latin1')
  if (protocol !== 'MQTT' && protocol !== 'MQIsdp')
    return refuse('malformed', 'unknown protocol name [MQTT-3.1.2-1]')
  // [MQTT-3.1.2-2]: answer an unsupported level with 0x01, then close.
  if ((protocol === 'MQTT' && level !== 4) || (protocol === 'MQIsdp' && level !== 3))
    return refuse('protocol_level', `protocol level ${level}`, CONNACK_UNACCEPTABLE_PROTOCOL)
  if (connectFlags & 0x01) return refuse('connect_flags', 'reserved connect flag set [MQTT-3.1.2-3]')
  const cleanSession = (connectFlags & 0x02) !== 0
  const willFlag = (connectFlags & 0x04) !== 0
  const willQos = (connectFlags >> 3) & 0x03
  const willRetain = (connectFlags & 0x20) !== 0
  const passwordFlag = (connectFlags & 0x40) !== 0
  const usernameFlag = (connectFlags & 0x80) !== 0
  if (willQos === 3) return refuse('connect_flags', 'will QoS 3 [MQTT-3.1.2-14]')
  if (!willFlag && (willQos !== 0 || willRetain))
    return refuse('connect_flags', 'will QoS/retain without will [MQTT-3.1.2-13/15]')
  if (passwordFlag && !usernameFlag)
    return refuse('connect_flags', 'password without username [MQTT-3.1.2-22]')
  const clientIdRaw = c.bytes()
  if (clientIdRaw === null) return refuse('malformed', 'truncated client id')
  if (mqttString(clientIdRaw) === null)
    return refuse('malformed', 'client id is not valid UTF-8 [MQTT-1.5.3-1/2]')
  if (clientIdRaw.length === 0 && !cleanSession)
    return refuse(
      'client_id',
      'empty client id with clean session 0 [MQTT-3.1.3-8]',
      CONNACK_IDENTIFIER_REJECTED,
    )
  if (clientIdRaw.length > limits.maxClientIdLength)
    return refuse('client_id', `client id of ${clientIdRaw.length} bytes`, CONNACK_IDENTIFIER_REJECTED)
  if (willFlag) {
    const willRefusal = checkTopicName(c.bytes(), limits)
    if (willRefusal) return { ...willRefusal, detail: `will: ${willRefusal.detail}` }
    if (c.bytes() === null) return refuse('malformed', 'truncated will payload')
  }
  if (usernameFlag) {
    const username = c.bytes()
    if (username === null || mqttString(username) === null)
      return refuse('malformed', 'bad username [MQTT-3.1.3-11]')
  }
  if (passwordFlag && c.bytes() === null) return refuse('malformed', 'truncated password')
  if (c.remaining !== 0) return refuse('malformed', 'trailing bytes after CONNECT payload')
  // MQTT 3.1.1 has no return code for keepalive; like Mosquitto, answer "identifier rejected".
  if (keepalive < limits.keepaliveMin || keepalive > limits.keepaliveMax)
    return refuse('keepalive', `keepalive ${keepalive}s outside bounds`, CONNACK_IDENTIFIER_REJECTED)
  return null
}

function checkPublish(flags: number, body: Buffer, limits: PacketLimits): Refusal | null {
  const qos = (flags >> 1) & 0x03
  if (qos === 3) return refuse('malformed', 'PUBLISH QoS 3 [MQTT-3.3.1-4]')
  if (qos === 0 && flags & 0x08) return refuse('malformed', 'DUP set on QoS 0 [MQTT-3.3.1-2]')
  const c = new Cursor(body)
  const topicRefusal = checkTopicName(c.bytes(), limits)
  if (topicRefusal) return topicRefusal
  if (qos > 0) {
    const id = c.uint16()
    if (id === null) return refuse('malformed', 'truncated packet id')
    if (id === 0) return refuse('packet_id_zero', 'QoS>0 PUBLISH with packet id 0 [MQTT-2.3.1-1]')
  }
  return null
}

function checkSubscribe(
  flags: number,
  body: Buffer,
  limits: PacketLimits,
  unsubscribe: boolean,
): Refusal | null {
  const name = unsubscribe ? 'UNSUBSCRIBE' : 'SUBSCRIBE'
  if (flags !== 0x02) return refuse('malformed', `${name} fixed-header flags [MQTT-3.8.1-1]`)
  const c = new Cursor(body)
  const id = c.uint16()
  if (id === null) return refuse('malformed', `truncated ${name}`)
  if (id === 0) return refuse('packet_id_zero', `${name} with packet id 0 [MQTT-2.3.1-1]`)
  if (c.remaining === 0) return refuse('malformed', `${name} without topic filters [MQTT-3.8.3-3]`)
  while (c.remaining > 0) {
    const filterRefusal = checkTopicFilter(c.bytes(), limits)
    if (filterRefusal) return filterRefusal
    if (unsubscribe) continue
    const options = c.byte()
    if (options === null) return refuse('malformed', 'truncated requested QoS')
    if (options > 2) return refuse('malformed', 'requested QoS byte invalid [MQTT-3.8.3-4]')
  }
  return null
}

/** Packet types a client may send, with the fixed-header flags and length the spec requires of the simple ones. */
const FIXED_SHAPES: Record<number, { flags: number; length: number }> = {
  4: { flags: 0, length: 2 }, // PUBACK
  5: { flags: 0, length: 2 }, // PUBREC
  6: { flags: 2, length: 2 }, // PUBREL [MQTT-3.6.1-1]
  7: { flags: 0, length: 2 }, // PUBCOMP
  12: { flags: 0, length: 0 }, // PINGREQ
  14: { flags: 0, length: 0 }, // DISCONNECT
}

export const PACKET_CONNECT = 1
export const PACKET_CONNACK = 2
export const PACKET_PUBLISH = 3

/**
 * The common PUBLISH (an ASCII topic) checked in place, on the bytes of its body from `start` to `end`:
 * true only when checkPacket would pass it too. Anything else (a non-ASCII topic, any violation) answers
 * false and goes through checkPacket, which decides and says why. Per publish this saves a body view, a
 * cursor, a topic view and the decoded topic string.
 */
export function publishPassesFast(
  buf: Buffer,
  start: number,
  end: number,
  flags: number,
  limits: PacketLimits,
): boolean {
  const qos = (flags >> 1) & 0x03
  if (qos === 3 || (qos === 0 && flags & 0x08) || end - start < 2) return false
  const length = ((buf[start] as number) << 8) | (buf[start + 1] as number)
  const topicEnd = start + 2 + length
  if (length === 0 || length > limits.maxTopicLength || topicEnd > end) return false
  let levels = 1
  for (let i = start + 2; i < topicEnd; i++) {
    const b = buf[i] as number
    if (b === 0x2f) levels++
    // NUL, '+', '#' and anything outside ASCII: checkPacket's full path.
    else if (b === 0 || b === 0x2b || b === 0x23 || b >= 0x80) return false
  }
  if (levels > limits.maxTopicLevels) return false
  if (qos === 0) return true
  return topicEnd + 2 <= end && (((buf[topicEnd] as number) << 8) | (buf[topicEnd + 1] as number)) !== 0
}

/** Checks one complete packet from a client. `body` is the variable header and payload. */
export function checkPacket(type: number, flags: number, body: Buffer, limits: PacketLimits): Refusal | null {
  switch (type) {
    case 1:
      return checkConnect(flags, body, limits)
    case 3:
      return checkPublish(flags, body, limits)
    case 8:
      return checkSubscribe(flags, body, limits, false)
    case 10:
      return checkSubscribe(flags, body, limits, true)
  }
  const shape = FIXED_SHAPES[type]
  // Reserved types and server-to-client packets (CONNACK, SUBACK, UNSUBACK, PINGRESP) are protocol violations.
  if (!shape) return refuse('malformed', `packet type ${type} not allowed from a client`)
  if (flags !== shape.flags || body.length !== shape.length)
    return refuse('malformed', `packet type ${type} with bad flags or length [MQTT-2.2.2-2]`)
  if (shape.length === 2 && body.readUInt16BE(0) === 0)
    return refuse('packet_id_zero', 'packet id 0 [MQTT-2.3.1-1]')
  return null
}
