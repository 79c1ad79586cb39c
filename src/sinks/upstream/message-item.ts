import { isUtf8 } from 'node:buffer'

/** A forwarded MQTT message as one outbox item: JSON never holds a raw newline, so it is one line. */
export interface ForwardedMessage {
  /** The local topic (the prefix is added when it is sent). */
  topic: string
  payload: Buffer
  retain: boolean
}

interface Encoded {
  t: string
  /** UTF-8 payload as is, */
  p?: string
  /** or base64 when it is binary. */
  b?: string
  r?: 1
}

export function encodeMessage(m: ForwardedMessage): string {
  const e: Encoded = { t: m.topic }
  if (isUtf8(m.payload)) e.p = m.payload.toString('utf8')
  else e.b = m.payload.toString('base64')
  if (m.retain) e.r = 1
  return JSON.stringify(e)
}

/** The message back from its item; null for an item this version cannot read (never expected). */
export function decodeMessage(item: string): ForwardedMessage | null {
  try {
    const e = JSON.parse(item) as Encoded
    if (typeof e.t !== 'string') return null
    const payload = e.b !== undefined ? Buffer.from(e.b, 'base64') : Buffer.from(e.p ?? '', 'utf8')
    return { topic: e.t, payload, retain: e.r === 1 }
  } catch {
    return null
  }
}

/** The remote topic of a local one. */
export function remoteTopic(prefix: string, local: string): string {
  return prefix === '' ? local : `${prefix}/${local}`
}

/** The local topic of a remote one, or null when it is not under the prefix. */
export function localTopic(prefix: string, remote: string): string | null {
  if (prefix === '') return remote
  return remote.startsWith(`${prefix}/`) ? remote.slice(prefix.length + 1) : null
}
