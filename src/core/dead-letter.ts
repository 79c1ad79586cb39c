/** Why an input was not turned into an event (or not delivered). Each is a counter label and a topic segment. */
export type DeadLetterReason =
  | 'invalid_json'
  | 'schema'
  | 'no_type'
  | 'late'
  | 'duplicate'
  | 'clock_skew'
  | 'unknown_device'
  | 'oversize'
  | 'frame'
  | 'influx_rejected'
  | 'upstream_rejected'
  | 'cluster_buffer_full'

export interface DeadLetter {
  reason: DeadLetterReason
  /** Original topic (or `serial:<port>`). */
  topic: string
  /** Original payload: UTF-8 text when it decodes cleanly, else base64. */
  payload: string
  encoding: 'utf8' | 'base64'
  /** Validator or parser messages. */
  errors: string[]
  device?: string
  type?: string
  /** When it was dead-lettered (epoch ms). */
  at: number
}

/** Encodes a raw payload for a dead letter: text when it is valid UTF-8 without control bytes, else base64. */
export function encodePayload(payload: Buffer | string): { payload: string; encoding: 'utf8' | 'base64' } {
  if (typeof payload === 'string') return { payload, encoding: 'utf8' }
  const text = payload.toString('utf8')
  // A round trip that changes the bytes means the payload was not valid UTF-8.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: binary detection needs control characters
  if (Buffer.byteLength(text) === payload.length && !/[\u0000-\u0008\u000e-\u001f]/.test(text)) {
    return { payload: text, encoding: 'utf8' }
  }
  return { payload: payload.toString('base64'), encoding: 'base64' }
}
