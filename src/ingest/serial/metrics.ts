import type { Sample } from '../../observability/metrics-source.js'
import type { SerialPortStats } from './port-stats.js'

/** Per-port numbers for /metrics; the `port` label is a configured port, so the label set stays bounded. */
export function serialSamples(ports: readonly SerialPortStats[]): Sample[] {
  const out: Sample[] = []
  const add = (
    name: string,
    help: string,
    type: Sample['type'],
    value: number,
    labels: Record<string, string>,
  ) => out.push({ name, help, type, value, labels })
  for (const s of ports) {
    const port = { port: s.port }
    add(
      'tidegate_serial_port_open',
      'Whether the serial port is open (1) or being retried (0)',
      'gauge',
      s.open ? 1 : 0,
      port,
    )
    add('tidegate_serial_bytes_total', 'Bytes read from the serial port', 'counter', s.bytes, port)
    add('tidegate_serial_frames_total', 'Frames cut from the serial byte stream', 'counter', s.frames, port)
    add('tidegate_serial_events_total', 'Serial frames that became events', 'counter', s.events, port)
    add(
      'tidegate_serial_ignored_frames_total',
      'Well-formed frames skipped by the codec (nmea only)',
      'counter',
      s.ignored,
      port,
    )
    for (const [kind, n] of Object.entries(s.errors))
      add(
        'tidegate_serial_frame_errors_total',
        'Serial input that did not become an event, by kind',
        'counter',
        n,
        { ...port, kind },
      )
    add('tidegate_serial_reconnects_total', 'Reopens after the port was lost', 'counter', s.reconnects, port)
    add('tidegate_serial_disconnects_total', 'Times the open port went away', 'counter', s.disconnects, port)
    add(
      'tidegate_serial_open_failures_total',
      'Failed attempts to open the port',
      'counter',
      s.openFailures,
      port,
    )
    add(
      'tidegate_serial_downtime_seconds_total',
      'Time the port was down after it had been open',
      'counter',
      s.downtimeMs / 1000,
      port,
    )
    if (s.lastFrameAt !== null)
      add(
        'tidegate_serial_last_frame_timestamp_seconds',
        'When the last frame arrived (unix time)',
        'gauge',
        s.lastFrameAt / 1000,
        port,
      )
    add(
      'tidegate_serial_commands_total',
      'Commands written to the port, by result',
      'counter',
      s.commandsWritten,
      { ...port, result: 'written' },
    )
    add(
      'tidegate_serial_commands_total',
      'Commands written to the port, by result',
      'counter',
      s.commandsFailed,
      { ...port, result: 'failed' },
    )
  }
  return out
}
