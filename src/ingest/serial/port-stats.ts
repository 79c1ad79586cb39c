/** What an operator (and the metrics feature) can see about one serial port. */
export interface SerialPortStats {
  /** The port's label: `name`, else the path, else `usb:<vendor>:<product>:<serial>`. */
  port: string
  /** The device path currently (or last) opened; null before the first open. */
  path: string | null
  type: string
  open: boolean
  bytes: number
  frames: number
  /** Frames that became events. */
  events: number
  /** Frames and bytes that did not, by kind: oversize, bad_length, decode, checksum, no_match, columns, unsupported, device_id, schema (internal: a bug, never expected). */
  errors: Record<string, number>
  /** Well-formed frames the codec was told to skip (NMEA sentences outside `only`). */
  ignored: number
  /** Successful reopens after the port was lost or missing. */
  reconnects: number
  /** Times an open port went away (unplugged, pty closed, I/O error). */
  disconnects: number
  openFailures: number
  /** Total time the port was down after it had been open once, in ms. */
  downtimeMs: number
  /** Epoch ms of the last frame; null before the first. */
  lastFrameAt: number | null
  lastError: string | null
  commandsWritten: number
  commandsFailed: number
}

export function emptyStats(port: string, type: string): SerialPortStats {
  return {
    port,
    path: null,
    type,
    open: false,
    bytes: 0,
    frames: 0,
    events: 0,
    errors: {},
    ignored: 0,
    reconnects: 0,
    disconnects: 0,
    openFailures: 0,
    downtimeMs: 0,
    lastFrameAt: null,
    lastError: null,
    commandsWritten: 0,
    commandsFailed: 0,
  }
}

export function countError(stats: SerialPortStats, kind: string): void {
  stats.errors[kind] = (stats.errors[kind] ?? 0) + 1
}
