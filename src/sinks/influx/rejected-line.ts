import type { DeadLetter } from '../../core/dead-letter.js'

/** The dead letter for a line InfluxDB refused: the line as payload, InfluxDB's message as the error. */
export function rejectedLineDeadLetter(
  line: string,
  /** `HTTP <status>: <InfluxDB's message>` */
  detail: string,
  at: number,
): DeadLetter {
  const space = line.indexOf(' ')
  const head = space < 0 ? line : line.slice(0, space)
  const device = /,device=((?:\\.|[^,\\])+)/.exec(head)?.[1]
  const dead: DeadLetter = {
    reason: 'influx_rejected',
    topic: `influx/${head.split(',')[0] ?? ''}`,
    payload: line,
    encoding: 'utf8',
    errors: [detail],
    at,
  }
  if (device !== undefined) dead.device = device
  return dead
}
