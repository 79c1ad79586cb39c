import { filterCoveredBy } from '../../broker/topic-match.js'
import { commandTopic } from '../../commands/command-topics.js'
import type { UpstreamConfig } from './config-schema.js'

export interface ForwardFilter {
  filter: string
  qos: 0 | 1
}

/** Where devices answer commands: forwarded whenever commands can come from upstream, so acks travel back. */
export const ACK_FILTER = 'devices/+/acks'

/** Whether some topic matches both MQTT filters (level by level: `+` any one level, `#` the rest). */
export function filtersOverlap(a: string, b: string): boolean {
  const x = a.split('/')
  const y = b.split('/')
  for (let i = 0; ; i++) {
    const p = x[i]
    const q = y[i]
    if (p === '#' || q === '#') return true
    if (p === undefined || q === undefined) return p === q
    if (p !== '+' && q !== '+' && p !== q) return false
  }
}

/** Whether commands may arrive from upstream: some receive filter matches a command topic. */
export function receivesCommands(receive: readonly string[]): boolean {
  return receive.some((f) => filtersOverlap(f, commandTopic('+', '+')))
}

/** The forward list as {filter, qos}, plus the ack topic when commands come from upstream; one entry per filter. */
export function forwardFilters(c: Pick<UpstreamConfig, 'forward' | 'receive'>): ForwardFilter[] {
  const out = new Map<string, ForwardFilter>()
  for (const f of c.forward) {
    const entry: ForwardFilter =
      typeof f === 'string' ? { filter: f, qos: 1 } : { filter: f.filter, qos: f.qos }
    // Listed twice: the stronger guarantee wins.
    const prev = out.get(entry.filter)
    if (!prev || prev.qos < entry.qos) out.set(entry.filter, entry)
  }
  if (receivesCommands(c.receive) && !out.has(ACK_FILTER)) out.set(ACK_FILTER, { filter: ACK_FILTER, qos: 1 })
  return [...out.values()]
}

/**
 * The receive filters worth subscribing: one covered by another is left out, since a broker may deliver
 * a message once per matching subscription (Mosquitto does) and a command would run twice.
 */
export function receiveSubscriptions(receive: readonly string[]): string[] {
  const unique = [...new Set(receive)]
  return unique.filter(
    (f, i) => !unique.some((g, j) => j !== i && filterCoveredBy(f, g) && !(filterCoveredBy(g, f) && j > i)),
  )
}
