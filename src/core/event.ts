/** Where an event entered the gateway. */
export type EventSource = 'mqtt' | 'serial' | 'replay' | 'internal'

/**
 * The one event model: everything that enters becomes an Event, everything downstream takes it.
 * Times are epoch milliseconds.
 */
export interface Event {
  /** Device id, from the topic, the serial port config or the frame. */
  device: string
  /** Device type name from the catalog (`devices/*.yaml`). */
  type: string
  /** Stream within the device: `telemetry` for payloads, `availability`, `command_timeout`, ... */
  stream: string
  /** Event time: payload timestamp when the type declares one, else receive time. */
  time: number
  /** When the gateway received it. */
  received: number
  /** Device sequence number, when the payload carries one. */
  seq?: number
  /** The validated payload (time and seq fields included as sent). */
  data: Record<string, unknown>
  /** Tags: payload fields the type declares as tags, plus registry metadata. Always includes no `device`. */
  tags: Record<string, string>
  source: EventSource
  /** MQTT topic, or `serial:<port>` for serial frames. */
  topic: string
}

/** Two events' tags are the same key/value pairs (order aside). */
export function sameTags(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  let n = 0
  for (const k in a) {
    if (a[k] !== b[k]) return false
    n++
  }
  for (const _ in b) n--
  return n === 0
}
