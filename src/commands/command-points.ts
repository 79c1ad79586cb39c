import { toLine } from '../sinks/influx/line-protocol.js'
import type { CommandOutcome } from './command-outcome.js'

/**
 * One point of measurement `commands` per step of a command. Tags are bounded sets (device, type,
 * command name, source, status); the id, params and reason are fields so they add no series.
 */
export function commandPoint(
  o: CommandOutcome,
  extraTags: Readonly<Record<string, string>> = {},
): string | null {
  const fields: Record<string, string | number> = {
    id: o.id,
    attempt: o.attempt,
    params: JSON.stringify(o.params),
  }
  if (o.reason !== undefined) fields['reason'] = o.reason
  if (o.latencyMs !== undefined) fields['latency_ms'] = o.latencyMs
  return toLine({
    measurement: 'commands',
    tags: {
      ...extraTags,
      device: o.device,
      type: o.type ?? '',
      command: o.name,
      source: o.source,
      status: o.status,
    },
    fields,
    time: o.at,
    integerFields: new Set(['attempt', 'latency_ms']),
  })
}
