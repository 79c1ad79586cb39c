import type { Event } from '../../core/event.js'
import type { DeadLetterSink, EventGate } from '../pipeline.js'
import type { HygieneCounters } from './counters.js'

export type SkewPolicy = 'keep' | 'clamp' | 'reject'

/** `3h12m5s` for an operator reading a dead letter. */
function human(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000)
  const parts: string[] = []
  if (s >= 3600) parts.push(`${Math.floor(s / 3600)}h`)
  if (s >= 60) parts.push(`${Math.floor((s % 3600) / 60)}m`)
  parts.push(`${s % 60}s`)
  return parts.join('')
}

/**
 * A device clock far off (event time vs arrival) is counted and then, per policy, kept as is, clamped to
 * the arrival time, or dead-lettered as `clock_skew`. Events without a payload time have time = arrival.
 */
export function createSkewGate(
  options: { maxMs: number; policy: SkewPolicy; now?: () => number },
  deadLetters: DeadLetterSink,
  counters: HygieneCounters,
): EventGate {
  const now = options.now ?? Date.now
  return (event: Event) => {
    if (event.stream !== 'telemetry') return true
    const offset = event.time - event.received
    if (Math.abs(offset) <= options.maxMs) return true
    counters.skewed++
    switch (options.policy) {
      case 'keep':
        return true
      case 'clamp':
        counters.skewClamped++
        event.time = event.received
        return true
      case 'reject':
        counters.skewRejected++
        deadLetters.record({
          reason: 'clock_skew',
          topic: event.topic,
          payload: JSON.stringify(event.data),
          encoding: 'utf8',
          errors: [
            `event time ${new Date(event.time).toISOString()} is ${human(offset)} ${offset > 0 ? 'ahead of' : 'behind'} arrival`,
          ],
          device: event.device,
          type: event.type,
          at: now(),
        })
        return false
    }
  }
}
