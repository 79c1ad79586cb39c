/** A device's answer on `devices/<id>/acks`, read leniently: what firmware commonly sends is accepted. */
export interface ParsedAck {
  id: string
  status: 'acked' | 'failed'
  /** The device's explanation of a failure. */
  reason?: string
  data?: unknown
}

/**
 * Ack statuses: `ok`/`error` from devices; `sent`/`failed` from the serial command router, which acks
 * once the bytes are written to the port (the serial device itself has no ack channel).
 */
const ACK_STATUS = new Map<unknown, 'acked' | 'failed'>([
  ['ok', 'acked'],
  ['sent', 'acked'],
  ['error', 'failed'],
  ['failed', 'failed'],
])

/** The ack, or null when it has no string id or no known status. */
export function parseAck(payload: unknown): ParsedAck | null {
  if (!payload || typeof payload !== 'object') return null
  const ack = payload as {
    id?: unknown
    status?: unknown
    message?: unknown
    error?: unknown
    data?: unknown
  }
  const status = ACK_STATUS.get(ack.status)
  if (typeof ack.id !== 'string' || status === undefined) return null
  const out: ParsedAck = { id: ack.id, status }
  if (ack.data !== undefined) out.data = ack.data
  if (status === 'failed')
    // `message` is the documented key; `error` is common in firmware (and the serial router's).
    out.reason =
      typeof ack.message === 'string'
        ? ack.message
        : typeof ack.error === 'string'
          ? ack.error
          : 'device reported an error'
  return out
}
